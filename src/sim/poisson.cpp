// Poisson sampler: sequential-search inversion below mean 10, PTRS transformed rejection above (Hormann 1993,
// "The transformed rejection method for generating Poisson random variables", Insurance Math. Econ. 12, 39).
#include "specnet/sim/poisson.h"

#include <Eigen/Core>
#include <cmath>

#include "specnet/error.h"

namespace specnet::sim {
namespace {

constexpr double kInversionLimit = 10.0;

// Inversion by sequential search: one uniform, ~mean + 1 steps. Beyond k = 200 the remaining mass of a
// Poisson(mean < 10) is < 1e-150, so the guard only stops a rounding loop at u ~ 1.
// `exp_neg_mean` = exp(-mean), passed in so that whole spectra can compute it in one vectorised pass.
double poisson_inversion(double mean, double exp_neg_mean, UniformStream& uniforms) {
  const double u = uniforms.next();
  double p = exp_neg_mean, cdf = p;
  int k = 0;
  while (u > cdf && k < 200) {
    ++k;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

double poisson_ptrs(double mean, UniformStream& uniforms) {
  const double slam = std::sqrt(mean);
  double loglam = 0;  // needed only past the squeeze (~14% of draws), so computed on first use
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double U = uniforms.next() - 0.5, V = uniforms.next();
    const double us = 0.5 - std::fabs(U);
    const double k = std::floor((2 * a / us + b) * U + mean + 0.43);
    if (us >= 0.07 && V <= vr) return k;  // squeeze: accepted without logs (~86% of draws)
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (loglam == 0) loglam = std::log(mean);  // mean >= 10, so the log is never 0
    if (std::log(V) + std::log(inv_alpha) - std::log(a / (us * us) + b) <= -mean + k * loglam - log_factorial(k))
      return k;
  }
}

}  // namespace

double log_factorial(double k) {
  static const double table[16] = {0.0,
                                   0.0,
                                   0.69314718055994531,
                                   1.79175946922805500,
                                   3.17805383034794562,
                                   4.78749174278204599,
                                   6.57925121201010100,
                                   8.52516136106541430,
                                   10.60460290274525023,
                                   12.80182748008146961,
                                   15.10441257307551530,
                                   17.50230784587388584,
                                   19.98721449566188615,
                                   22.55216385312342289,
                                   25.19122118273868150,
                                   27.89927138384089157};
  if (k < 16) return table[static_cast<int>(k)];
  // Stirling series for log Gamma(k + 1); error < 1e-15 for k >= 16.
  const double x = k + 1, ix = 1 / x, ix2 = ix * ix;
  return (x - 0.5) * std::log(x) - x + 0.91893853320467274 +
         ix * (1.0 / 12 - ix2 * (1.0 / 360 - ix2 * (1.0 / 1260 - ix2 / 1680)));
}

double sample_poisson(double mean, UniformStream& uniforms) {
  SPECNET_CHECK(std::isfinite(mean) && mean >= 0, "sample_poisson: mean must be finite and >= 0, got ", mean);
  if (mean == 0) return 0;
  return mean < kInversionLimit ? poisson_inversion(mean, std::exp(-mean), uniforms) : poisson_ptrs(mean, uniforms);
}

void sample_poisson(const double* mean, std::int64_t n, UniformStream& uniforms, double* out) {
  for (std::int64_t h = 0; h < n; ++h)
    SPECNET_CHECK(std::isfinite(mean[h]) && mean[h] >= 0, "sample_poisson: expected counts in channel ", h,
                  " must be finite and >= 0, got ", mean[h]);
  // exp(-mean) for every channel in one vectorised pass (most channels of a spectrum use inversion).
  static thread_local Eigen::ArrayXd exp_neg;  // (n)
  exp_neg = (-Eigen::Map<const Eigen::ArrayXd>(mean, n)).exp();
  for (std::int64_t h = 0; h < n; ++h) {
    const double m = mean[h];
    out[h] = m == 0 ? 0.0 : m < kInversionLimit ? poisson_inversion(m, exp_neg[h], uniforms) : poisson_ptrs(m, uniforms);
  }
}

}  // namespace specnet::sim
