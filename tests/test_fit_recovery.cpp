// Parameter recovery: fakeit NuSTAR spectra of tbabs*powerlaw and tbabs*apec with known parameters, fitted with
// cstat; the 90% profile intervals must cover the truth at a binomially consistent rate and C/dof be near 1.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "fit_test_util.h"
#include "specnet/context.h"
#include "specnet/fit/fitter.h"

using namespace specnet;
using namespace specnet::fit;

namespace {

struct Coverage {
  std::vector<int> covered;  // (P) spectra whose interval contains the truth
  int fits = 0, converged = 0;
  double mean_reduced = 0;
};

// Simulates n spectra of `truth` (seed, stream i), fits each from `start` over 3-30 keV grouped to >= 20 counts.
Coverage run(const sim::CompositeModel& truth, const sim::CompositeModel& start, double exposure_s, int n,
             std::uint64_t seed) {
  const auto setup = test::nustar_setup(exposure_s);
  const auto photons = truth.evaluate(setup.response.energy_edges_kev());
  const std::vector<double> true_free = truth.free_values();
  const int P = static_cast<int>(true_free.size());
  std::vector<int> inside(static_cast<std::size_t>(n) * P, 0), conv(n, 0);
  std::vector<double> reduced(n, 0.0);
  parallel_for(n, 4, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const auto counts = sim::fake_counts(setup, photons.data(), seed, static_cast<std::uint64_t>(i));
      SpectrumOptions so;
      so.e_min_kev = 3;
      so.e_max_kev = 30;
      so.min_counts = 20;
      FitProblem problem(start, test::nustar_matrix(), counts, exposure_s, so);
      FitOptions fo;
      fo.interval_params = {"*"};
      const FitResult r = fit_model(problem, fo);
      conv[i] = r.converged;
      reduced[i] = r.reduced;
      for (int j = 0; j < P; ++j)
        inside[i * P + j] = r.intervals[j].ok && r.intervals[j].lo <= true_free[j] && true_free[j] <= r.intervals[j].hi;
    }
  });
  Coverage c;
  c.covered.assign(P, 0);
  c.fits = n;
  for (int i = 0; i < n; ++i) {
    c.converged += conv[i];
    c.mean_reduced += reduced[i] / n;
    for (int j = 0; j < P; ++j) c.covered[j] += inside[i * P + j];
  }
  return c;
}

// 90% coverage within 3 binomial standard deviations.
void check_coverage(const Coverage& c, const std::vector<std::string>& names) {
  const double sd = std::sqrt(0.9 * 0.1 / c.fits);
  for (std::size_t j = 0; j < names.size(); ++j) {
    const double frac = static_cast<double>(c.covered[j]) / c.fits;
    std::printf("fit recovery: %-22s 90%% coverage %.3f (%d/%d), mean C/dof %.3f\n", names[j].c_str(), frac,
                c.covered[j], c.fits, c.mean_reduced);
    CAPTURE(names[j]);
    CHECK(std::fabs(frac - 0.9) < 3 * sd);
  }
  CHECK(c.converged == c.fits);
  CHECK(c.mean_reduced > 0.9);
  CHECK(c.mean_reduced < 1.1);
}

}  // namespace

TEST_CASE("fit recovery: tbabs*powerlaw 90% intervals cover the truth; C/dof ~ 1") {
  const auto truth = test::absorbed_powerlaw(1.0, 1.9, 3e-3, true);
  const auto start = test::absorbed_powerlaw(1.0, 2.5, 1e-2, true);
  const Coverage c = run(truth, start, 2e4, 200, 2024);
  check_coverage(c, {"powerlaw_2.PhoIndex", "powerlaw_2.norm"});
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
  const Coverage c = run(truth, start, 2e4, 200, 77);
  check_coverage(c, {"apec_2.kT", "apec_2.norm"});
}
