// Tests for batch fitting of a PHA Type II dataset: identical results for 1 and 2 threads, a bad spectrum
// reported in its row without stopping the batch, the CSV layout, and bad ranges.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "fit_test_util.h"
#include "ogip_test_util.h"
#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/fit/batch.h"

using namespace specnet;
using namespace specnet::fit;

TEST_CASE("fit batch: a simulated Type II dataset fits identically on 1 and 2 threads and writes a CSV") {
  const auto setup = test::nustar_setup(1e4);
  sim::CompositeModel model("tbabs*powerlaw");
  model.freeze("tbabs_1.nH");
  const auto priors = sim::parse_priors("powerlaw_2.PhoIndex=1.5:2.5,powerlaw_2.norm=2e-3:1e-2:log");
  sim::DatasetOptions d;
  d.count = 6;
  d.seed = 5;
  d.progress = false;
  const std::string path = test::ogip_temp("fit_batch.pha");
  sim::simulate_dataset(setup, model, priors, d, path);
  io::SpectrumSet set = io::read_pha2(path);
  // Row 4 emptied: its fit fails with a message, the others go on.
  std::fill(set.counts.begin() + 4 * set.num_channels, set.counts.begin() + 5 * set.num_channels, 0.0);
  SpectrumOptions so;
  so.e_min_kev = 3;
  so.e_max_kev = 30;
  so.min_counts = 20;
  FitOptions fo;
  fo.interval_params = {"powerlaw_2.PhoIndex"};
  BatchOptions bo;
  bo.progress = false;
  bo.chunk = 1;
  const int saved = num_threads();
  set_num_threads(1);
  const auto r1 = fit_dataset(set, model, test::nustar_matrix(), so, fo, bo);
  set_num_threads(2);
  const auto r2 = fit_dataset(set, model, test::nustar_matrix(), so, fo, bo);
  set_num_threads(saved);
  REQUIRE(r1.size() == 6);
  for (std::size_t i = 0; i < 6; ++i) {
    CAPTURE(i);
    CHECK(r1[i].values == r2[i].values);
    CHECK(r1[i].message == r2[i].message);
    if (i == 4) {
      CHECK_FALSE(r1[i].converged);
      CHECK(r1[i].message.find("zero counts") != std::string::npos);
      continue;
    }
    CHECK(r1[i].converged);
    const double truth = set.params.values[i * set.params.num_params() + 1];  // PhoIndex column
    CHECK(std::fabs(r1[i].values[0] - truth) < 5 * r1[i].errors[0]);
  }
  const std::string csv = test::ogip_temp("fit_batch.csv");
  write_fit_csv(csv, set, 0, r1);
  std::ifstream in(csv);
  std::string header, line;
  std::getline(in, header);
  CHECK(header.rfind("spec_num,converged,iterations,statistic,dof,reduced,powerlaw_2.PhoIndex,", 0) == 0);
  CHECK(header.find("powerlaw_2.PhoIndex_lo,powerlaw_2.PhoIndex_hi") != std::string::npos);
  CHECK(header.find("true_powerlaw_2_PhoIndex") != std::string::npos);
  int rows = 0;
  while (std::getline(in, line)) ++rows;
  CHECK(rows == 6);
  // Bad ranges.
  bo.first = 6;
  CHECK_THROWS_AS(fit_dataset(set, model, test::nustar_matrix(), so, fo, bo), Error);
  bo.first = 2;
  bo.count = 5;
  CHECK_THROWS_AS(fit_dataset(set, model, test::nustar_matrix(), so, fo, bo), Error);
}
