// Tests for the ensemble sampler: a 3-d correlated Gaussian's mean and covariance recovered, tau and acceptance
// sane, identical chains for 1 and 2 threads, autocorrelation time of an AR(1) series, bad inputs.
#include <doctest/doctest.h>

#include <Eigen/Dense>
#include <cmath>

#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/fit/mcmc.h"
#include "specnet/rng.h"

using namespace specnet;
using namespace specnet::fit;

namespace {
struct Gaussian3 {
  Eigen::Vector3d mu{1.0, -2.0, 0.5};
  Eigen::Matrix3d cov;
  Eigen::Matrix3d prec;
  Gaussian3() {
    cov << 1.0, 0.8, 0.2, 0.8, 2.0, -0.5, 0.2, -0.5, 0.5;
    prec = cov.inverse();
  }
  double operator()(const double* x) const {
    const Eigen::Vector3d d = Eigen::Map<const Eigen::Vector3d>(x) - mu;
    return -0.5 * d.dot(prec * d);
  }
};

std::vector<double> initial_ball(int walkers, int dim, std::uint64_t seed) {
  Rng rng(seed, 0);
  std::vector<double> x(walkers * dim);
  for (double& v : x) v = 0.1 * rng.normal();
  return x;
}
}  // namespace

TEST_CASE("fit mcmc: recovers mean and covariance of a correlated 3-d Gaussian; tau and acceptance sane") {
  const Gaussian3 g;
  McmcOptions o;
  o.walkers = 32;
  o.steps = 3000;
  o.burn_in = 500;
  o.seed = 4;
  o.chunk = 16;  // one chunk per half: the cheap target is not worth thread hand-offs (determinism is tested below)
  const McmcResult r = run_ensemble(std::cref(g), 3, initial_ball(32, 3, 1), o);
  CHECK(r.kept_steps == 2500);
  CHECK(r.chain.size() == 2500u * 32 * 3);
  CHECK(r.acceptance > 0.3);
  CHECK(r.acceptance < 0.8);
  for (int d = 0; d < 3; ++d) {
    CAPTURE(d);
    CHECK(r.tau[d] > 1);
    CHECK(r.tau[d] < 150);
    // Monte-Carlo error of the mean: sqrt(var * tau / samples).
    const double se = std::sqrt(g.cov(d, d) * r.tau[d] / (2500.0 * 32));
    CHECK(std::fabs(r.mean[d] - g.mu[d]) < 5 * se);
    for (int e = 0; e < 3; ++e)
      CHECK(r.covariance[d * 3 + e] == doctest::Approx(g.cov(d, e)).scale(1.0).epsilon(0.1));
  }
}

TEST_CASE("fit mcmc: chains are identical for 1 and 2 threads and any chunk size") {
  const Gaussian3 g;
  McmcOptions o;
  o.walkers = 12;
  o.steps = 80;
  o.burn_in = 20;
  o.thin = 3;
  o.seed = 8;
  const int saved = num_threads();
  set_num_threads(1);
  const McmcResult a = run_ensemble(std::cref(g), 3, initial_ball(12, 3, 2), o);
  set_num_threads(2);
  o.chunk = 1;
  const McmcResult b = run_ensemble(std::cref(g), 3, initial_ball(12, 3, 2), o);
  set_num_threads(saved);
  CHECK(a.kept_steps == 20);
  CHECK(a.chain == b.chain);
  CHECK(a.log_prob == b.log_prob);
  CHECK(a.acceptance == b.acceptance);
}

TEST_CASE("fit mcmc: autocorrelation time of an AR(1) series matches (1 + phi) / (1 - phi)") {
  const double phi = 0.8;
  const int walkers = 8;
  const std::int64_t n = 20000;
  std::vector<double> x(n * walkers);
  Rng rng(3, 0);
  for (int w = 0; w < walkers; ++w) {
    double v = 0;
    for (std::int64_t t = 0; t < n; ++t) {
      v = phi * v + rng.normal();
      x[t * walkers + w] = v;
    }
  }
  const double tau = integrated_autocorr_time(x.data(), n, walkers, walkers, 1);
  CHECK(tau == doctest::Approx((1 + phi) / (1 - phi)).epsilon(0.1));
}

TEST_CASE("fit mcmc: bad inputs") {
  const Gaussian3 g;
  McmcOptions o;
  o.walkers = 5;
  CHECK_THROWS_WITH_AS(run_ensemble(std::cref(g), 3, initial_ball(5, 3, 1), o), doctest::Contains("even"), Error);
  o.walkers = 8;
  CHECK_THROWS_WITH_AS(run_ensemble(std::cref(g), 3, initial_ball(6, 3, 1), o), doctest::Contains("walkers x dim"),
                       Error);
  o.burn_in = o.steps;
  CHECK_THROWS_AS(run_ensemble(std::cref(g), 3, initial_ball(8, 3, 1), o), Error);
  o = McmcOptions();
  o.walkers = 8;
  auto outside = [](const double* x) { return x[0] > 10 ? 0.0 : -std::numeric_limits<double>::infinity(); };
  CHECK_THROWS_WITH_AS(run_ensemble(outside, 3, initial_ball(8, 3, 1), o), doctest::Contains("-inf"), Error);
  auto nan_lp = [](const double* x) { return x[0] > 0.05 ? std::nan("") : 0.0; };
  o.steps = 50;
  o.burn_in = 0;
  std::vector<double> start(8 * 3, 0.0);
  for (int w = 0; w < 8; ++w) start[w * 3] = -0.1 * (w + 1);
  CHECK_THROWS_WITH_AS(run_ensemble(nan_lp, 3, start, o), doctest::Contains("NaN"), Error);
}
