// Tests for the Poisson sampler: mean and variance over many draws from 1e-3 to 1e6 (inversion and PTRS),
// the probability mass function on both sides of the switch, log_factorial, determinism and bad means.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "specnet/error.h"
#include "specnet/sim/poisson.h"

using namespace specnet;
using namespace specnet::sim;

TEST_CASE("sim poisson: mean and variance from 1e-3 to 1e6") {
  const int n = 200000;
  for (double lam : {1e-3, 0.05, 0.7, 3.0, 9.99, 10.0, 37.5, 1e3, 1e6}) {
    CAPTURE(lam);
    UniformStream u(42, static_cast<std::uint64_t>(lam * 1000));
    double s = 0, s2 = 0;
    for (int i = 0; i < n; ++i) {
      const double k = sample_poisson(lam, u);
      REQUIRE(k == std::floor(k));
      REQUIRE(k >= 0);
      s += k;
      s2 += k * k;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    // 5 standard errors: Var(mean) = lam / n, Var(sample variance) ~ (lam + 2 lam^2) / n.
    CHECK(std::fabs(mean - lam) < 5 * std::sqrt(lam / n));
    CHECK(std::fabs(var - lam) < 5 * std::sqrt((lam + 2 * lam * lam) / n));
  }
}

TEST_CASE("sim poisson: probability mass function (chi-square) for inversion and PTRS") {
  const int n = 400000;
  for (double lam : {2.5, 25.0}) {
    CAPTURE(lam);
    std::vector<double> hist(200, 0.0);
    UniformStream u(7, 1);
    for (int i = 0; i < n; ++i) hist[std::min<std::size_t>(199, static_cast<std::size_t>(sample_poisson(lam, u)))]++;
    double chi2 = 0;
    int dof = -1;
    for (int k = 0; k < 199; ++k) {
      const double expected = n * std::exp(-lam + k * std::log(lam) - log_factorial(k));
      if (expected < 20) continue;
      chi2 += std::pow(hist[k] - expected, 2) / expected;
      ++dof;
    }
    REQUIRE(dof > 5);
    // Mean dof, sd sqrt(2 dof): 6 sd is far beyond chance for a correct sampler, small for a biased one.
    CHECK(chi2 < dof + 6 * std::sqrt(2.0 * dof));
  }
}

TEST_CASE("sim poisson: log_factorial matches lgamma") {
  for (double k : {0.0, 1.0, 5.0, 15.0, 16.0, 17.0, 100.0, 12345.0, 1e6})
    CHECK(log_factorial(k) == doctest::Approx(std::lgamma(k + 1)).epsilon(1e-13));
}

TEST_CASE("sim poisson: same stream gives the same draws; bad means are errors") {
  std::vector<double> mean = {0.0, 1e-3, 2.0, 50.0, 1e5}, a(5), b(5), c(5);
  UniformStream ua(3, 9), ub(3, 9), uc(3, 10);
  sample_poisson(mean.data(), 5, ua, a.data());
  sample_poisson(mean.data(), 5, ub, b.data());
  sample_poisson(mean.data(), 5, uc, c.data());
  CHECK(a == b);
  CHECK(a[0] == 0);
  CHECK(a != c);  // another stream, other draws (the 1e5 mean alone makes a tie ~1e-3 likely at most)
  UniformStream u(1, 1);
  CHECK_THROWS_AS(sample_poisson(-1.0, u), Error);
  CHECK_THROWS_AS(sample_poisson(std::nan(""), u), Error);
  CHECK_THROWS_AS(sample_poisson(INFINITY, u), Error);
  mean[2] = -0.5;
  CHECK_THROWS_WITH_AS(sample_poisson(mean.data(), 5, u, a.data()), doctest::Contains("channel 2"), Error);
}
