// Parameter recovery: fakeit NuSTAR spectra of tbabs*powerlaw and tbabs*apec with known parameters, fitted with
// cstat; the 90% profile intervals must cover the truth at a binomially consistent rate and C/dof be near 1.
#include <doctest/doctest.h>

#include "fit_recovery_util.h"
#include "fit_test_util.h"

using namespace specnet;
using namespace specnet::fit;

namespace {

// n spectra of `truth` (seed, stream i) at exposure_s, fitted from `start` over 3-30 keV grouped to >= 20 counts.
test::Coverage run(const sim::CompositeModel& truth, const sim::CompositeModel& start, double exposure_s, int n,
                   std::uint64_t seed, const std::vector<std::string>& names) {
  const auto setup = test::nustar_setup(exposure_s);
  test::RecoveryCase rc(start);
  rc.setup = &setup;
  rc.matrix = test::nustar_matrix();
  rc.spectrum.e_min_kev = 3;
  rc.spectrum.e_max_kev = 30;
  rc.spectrum.min_counts = 20;
  rc.truth = [&](std::int64_t) { return truth; };
  rc.names = names;
  rc.n = n;
  rc.seed = seed;
  return test::run_recovery(rc);
}

}  // namespace

TEST_CASE("fit recovery: tbabs*powerlaw 90% intervals cover the truth; C/dof ~ 1") {
  const auto truth = test::absorbed_powerlaw(1.0, 1.9, 3e-3, true);
  const auto start = test::absorbed_powerlaw(1.0, 2.5, 1e-2, true);
  const std::vector<std::string> names = {"powerlaw_2.PhoIndex", "powerlaw_2.norm"};
  test::check_coverage(run(truth, start, 2e4, 200, 2024, names), names);
}

TEST_CASE("fit recovery: tbabs*apec 90% intervals cover the truth; C/dof ~ 1") {
  sim::CompositeModel truth("tbabs*apec");
  truth.set("tbabs_1.nH", 0.5);
  truth.freeze("tbabs_1.nH");
  truth.set("apec_2.kT", 5.0);
  truth.set("apec_2.Abundanc", 0.3);
  truth.set("apec_2.Redshift", 0.05);
  truth.set("apec_2.norm", 1e-2);
  sim::CompositeModel start = truth;
  start.set("apec_2.kT", 2.0);
  start.set("apec_2.norm", 3e-2);
  const std::vector<std::string> names = {"apec_2.kT", "apec_2.norm"};
  test::check_coverage(run(truth, start, 2e4, 200, 77, names), names);
}
