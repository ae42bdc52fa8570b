// Posterior sampling of a fit (XSPEC `chain` type gw): the fit statistic as -2 log likelihood through per-walker
// model scratch copies, uniform priors on the hard limits, and central credible intervals from the chain.
#include "specnet/fit/posterior.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "specnet/error.h"
#include "specnet/rng.h"

namespace specnet::fit {

McmcResult sample_posterior(const FitProblem& problem, const FitResult& best, const McmcOptions& options) {
  const std::vector<FreeParameter> free = problem.free_parameters();
  const int D = static_cast<int>(free.size());
  SPECNET_CHECK(best.values.size() == free.size(), "sample_posterior: the fit result has ", best.values.size(),
                " parameters, the problem ", D, " free ones");
  SPECNET_CHECK(options.walkers >= 4, "sample_posterior: walkers must be >= 4, got ", options.walkers);
  std::vector<double> lo(D), hi(D);
  for (int d = 0; d < D; ++d) {
    lo[d] = free[d].hard_min;
    hi[d] = free[d].hard_max;
  }
  const int W = options.walkers;
  std::vector<double> initial(static_cast<std::size_t>(W) * D);
  for (int w = 0; w < W; ++w) {
    const Rng rng(options.seed, static_cast<std::uint64_t>(W + w));
    for (int d = 0; d < D; ++d) {
      const double err = best.errors.size() == free.size() && std::isfinite(best.errors[d]) && best.errors[d] > 0
                             ? best.errors[d]
                             : 1e-3 * std::max(std::fabs(best.values[d]), 1e-6);
      const double v = best.values[d] + 1e-2 * err * Rng::normal_from(rng.block(static_cast<std::uint64_t>(d)));
      initial[static_cast<std::size_t>(w) * D + d] = std::min(std::max(v, lo[d]), hi[d]);
    }
  }
  std::vector<FitProblem::Scratch> scratch;
  scratch.reserve(W);
  for (int w = 0; w < W; ++w) scratch.push_back(problem.make_scratch());
  auto log_prob = [&](const double* x, int walker) {
    std::vector<double> v(x, x + D);
    for (int d = 0; d < D; ++d)
      if (!(v[d] >= lo[d] && v[d] <= hi[d])) return -std::numeric_limits<double>::infinity();
    try {
      return -0.5 * problem.statistic(scratch[walker], v);
    } catch (const Error&) {  // the model cannot be evaluated there: zero density
      return -std::numeric_limits<double>::infinity();
    }
  };
  return run_ensemble_indexed(log_prob, D, initial, options);
}

void credible_interval(const McmcResult& r, int d, double q, double* lo, double* hi) {
  SPECNET_CHECK(d >= 0 && d < r.dim, "credible_interval: parameter ", d, " outside [0, ", r.dim, ")");
  SPECNET_CHECK(q > 0 && q < 0.5, "credible_interval: q must be in (0, 0.5), got ", q);
  const std::size_t S = r.chain.size() / static_cast<std::size_t>(r.dim);
  SPECNET_CHECK(S > 0, "credible_interval: empty chain");
  std::vector<double> v(S);
  for (std::size_t s = 0; s < S; ++s) v[s] = r.chain[s * r.dim + d];
  std::sort(v.begin(), v.end());
  auto quantile = [&](double p) {
    const double pos = p * static_cast<double>(S - 1);
    const std::size_t i = static_cast<std::size_t>(pos);
    const double f = pos - static_cast<double>(i);
    return i + 1 < S ? v[i] * (1 - f) + v[i + 1] * f : v[i];
  };
  *lo = quantile(q);
  *hi = quantile(1 - q);
}

}  // namespace specnet::fit
