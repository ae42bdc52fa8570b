// Tests for posterior sampling of a fit: a simulated NuSTAR power law's posterior agrees with the fit (means,
// standard deviations vs covariance errors, 90% credible vs profile intervals); threads do not change the chain.
#include <doctest/doctest.h>

#include <cmath>

#include "fit_test_util.h"
#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/fit/posterior.h"

using namespace specnet;
using namespace specnet::fit;

TEST_CASE("fit posterior: power-law posterior matches the fit's errors and 90% intervals") {
  const auto truth = test::absorbed_powerlaw(1.0, 1.9, 4e-3, true);
  const auto counts = test::fake_spectrum(test::nustar_setup(2e4), truth, 12, 0);
  SpectrumOptions so;
  so.e_min_kev = 3;
  so.e_max_kev = 30;
  so.min_counts = 20;
  FitProblem problem(truth, test::nustar_matrix(), counts, 2e4, so);
  FitOptions fo;
  fo.interval_params = {"*"};
  const FitResult best = fit_model(problem, fo);
  REQUIRE(best.converged);
  McmcOptions mo;
  mo.walkers = 16;
  mo.steps = 1500;
  mo.burn_in = 300;
  mo.seed = 3;
  mo.chunk = 8;  // one chunk per half: no thread hand-offs for this cheap model on a loaded machine
  const McmcResult r = sample_posterior(problem, best, mo);
  CHECK(r.acceptance > 0.3);
  for (int d = 0; d < 2; ++d) {
    CAPTURE(d);
    const double sd = std::sqrt(r.covariance[d * 2 + d]);
    CHECK(r.mean[d] == doctest::Approx(best.values[d]).scale(1).epsilon(0.3 * best.errors[d] / best.values[d]));
    CHECK(sd == doctest::Approx(best.errors[d]).scale(0).epsilon(0.15));
    double lo = 0, hi = 0;
    credible_interval(r, d, 0.05, &lo, &hi);
    CHECK(lo == doctest::Approx(best.intervals[d].lo).scale(0).epsilon(0.25 * best.errors[d] / std::fabs(lo)));
    CHECK(hi == doctest::Approx(best.intervals[d].hi).scale(0).epsilon(0.25 * best.errors[d] / std::fabs(hi)));
  }
  // Same chain on 1 and 2 threads.
  mo.steps = 60;
  mo.burn_in = 10;
  mo.chunk = 2;
  const int saved = num_threads();
  set_num_threads(1);
  const McmcResult a = sample_posterior(problem, best, mo);
  set_num_threads(2);
  const McmcResult b = sample_posterior(problem, best, mo);
  set_num_threads(saved);
  CHECK(a.chain == b.chain);
  FitResult wrong = best;
  wrong.values.push_back(1);
  CHECK_THROWS_AS(sample_posterior(problem, wrong, mo), Error);
  double lo, hi;
  CHECK_THROWS_AS(credible_interval(r, 5, 0.05, &lo, &hi), Error);
}
