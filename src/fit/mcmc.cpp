// Goodman & Weare stretch-move ensemble sampler (emcee's StretchMove with two complementary halves) and emcee's
// integrated autocorrelation time (walker-averaged ACF, auto window c = 5); deterministic for any thread count.
#include "specnet/fit/mcmc.h"

#include <cmath>
#include <limits>

#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/rng.h"

namespace specnet::fit {
namespace {

void check_log_prob(double lp, int walker) {
  SPECNET_CHECK(!std::isnan(lp), "mcmc: log_prob returned NaN for walker ", walker);
}

}  // namespace

double integrated_autocorr_time(const double* x, std::int64_t n, int walkers, std::int64_t step_stride,
                                std::int64_t walker_stride, double c) {
  SPECNET_CHECK(n >= 2 && walkers >= 1, "autocorrelation: need >= 2 steps and >= 1 walker");
  // Walker-averaged normalised autocorrelation, lag by lag until the window M >= c tau(M).
  std::vector<double> mean(walkers, 0.0), var(walkers, 0.0);
  for (int w = 0; w < walkers; ++w) {
    for (std::int64_t t = 0; t < n; ++t) mean[w] += x[t * step_stride + w * walker_stride];
    mean[w] /= static_cast<double>(n);
    for (std::int64_t t = 0; t < n; ++t) {
      const double d = x[t * step_stride + w * walker_stride] - mean[w];
      var[w] += d * d;
    }
  }
  double tau = 1;
  for (std::int64_t lag = 1; lag < n; ++lag) {
    double rho = 0;
    int used = 0;
    for (int w = 0; w < walkers; ++w) {
      if (var[w] <= 0) continue;
      double acc = 0;
      const double* xw = x + w * walker_stride;
      for (std::int64_t t = 0; t + lag < n; ++t)
        acc += (xw[t * step_stride] - mean[w]) * (xw[(t + lag) * step_stride] - mean[w]);
      rho += acc / var[w];
      ++used;
    }
    if (used == 0) return std::numeric_limits<double>::quiet_NaN();
    tau += 2 * rho / used;
    if (static_cast<double>(lag) >= c * tau) return tau;
  }
  return tau;  // window never closed: the chain is too short for a reliable estimate
}

McmcResult run_ensemble(const std::function<double(const double*)>& log_prob, int dim,
                        const std::vector<double>& initial, const McmcOptions& options) {
  return run_ensemble_indexed([&](const double* x, int) { return log_prob(x); }, dim, initial, options);
}

McmcResult run_ensemble_indexed(const std::function<double(const double*, int)>& log_prob, int dim,
                                const std::vector<double>& initial, const McmcOptions& o) {
  SPECNET_CHECK(dim >= 1, "mcmc: dim must be >= 1, got ", dim);
  SPECNET_CHECK(o.walkers >= 4 && o.walkers % 2 == 0, "mcmc: walkers must be even and >= 4, got ", o.walkers);
  SPECNET_CHECK(o.steps > 0 && o.burn_in >= 0 && o.burn_in < o.steps, "mcmc: need 0 <= burn_in (", o.burn_in,
                ") < steps (", o.steps, ")");
  SPECNET_CHECK(o.thin >= 1, "mcmc: thin must be >= 1, got ", o.thin);
  SPECNET_CHECK(std::isfinite(o.a) && o.a > 1, "mcmc: stretch scale a must be > 1, got ", o.a);
  SPECNET_CHECK(o.chunk >= 1, "mcmc: chunk must be >= 1");
  const int W = o.walkers, D = dim;
  SPECNET_CHECK(initial.size() == static_cast<std::size_t>(W) * D, "mcmc: initial ensemble has ", initial.size(),
                " values, expected walkers x dim = ", W * D);
  std::vector<double> pos = initial;  // (W, D)
  std::vector<double> lp(W);          // (W)
  for (int w = 0; w < W; ++w) {
    for (int d = 0; d < D; ++d)
      SPECNET_CHECK(std::isfinite(pos[w * D + d]), "mcmc: initial position of walker ", w, " is not finite");
    lp[w] = log_prob(&pos[w * D], w);
    check_log_prob(lp[w], w);
    SPECNET_CHECK(std::isfinite(lp[w]), "mcmc: walker ", w, " starts where log_prob is -inf");
  }

  McmcResult r;
  r.dim = D;
  r.walkers = W;
  r.kept_steps = (o.steps - o.burn_in + o.thin - 1) / o.thin;
  r.chain.reserve(static_cast<std::size_t>(r.kept_steps) * W * D);
  r.log_prob.reserve(static_cast<std::size_t>(r.kept_steps) * W);
  std::vector<char> accepted(W);
  std::int64_t total_accepted = 0;
  const int half = W / 2;
  std::vector<double> proposal(static_cast<std::size_t>(W) * D);
  std::vector<char> nan_seen(W);
  for (int step = 0; step < o.steps; ++step) {
    for (int h = 0; h < 2; ++h) {
      const int first = h * half, other = (1 - h) * half;
      // Walkers of this half move against the other half's current positions (not modified in this pass).
      parallel_for(half, o.chunk, [&](std::int64_t b, std::int64_t e) {
        for (std::int64_t i = b; i < e; ++i) {
          const int k = first + static_cast<int>(i);
          const Rng rng(o.seed, static_cast<std::uint64_t>(k));
          const auto b0 = rng.block(2 * static_cast<std::uint64_t>(step)), b1 = rng.block(2 * static_cast<std::uint64_t>(step) + 1);
          const double u_pick = Rng::uniform_from(b0), u_z = u32_to_unit(b0[2], b0[3]), u_acc = Rng::uniform_from(b1);
          const int j = other + std::min(half - 1, static_cast<int>(u_pick * half));
          const double sq = (o.a - 1) * u_z + 1;
          const double z = sq * sq / o.a;
          double* y = &proposal[static_cast<std::size_t>(k) * D];
          for (int d = 0; d < D; ++d) y[d] = pos[j * D + d] + z * (pos[k * D + d] - pos[j * D + d]);
          const double lpy = log_prob(y, k);
          if (std::isnan(lpy)) {
            nan_seen[k] = 1;
            accepted[k] = 0;
            continue;
          }
          const double log_ratio = (D - 1) * std::log(z) + lpy - lp[k];
          accepted[k] = std::log(u_acc) < log_ratio;
          if (accepted[k]) {
            for (int d = 0; d < D; ++d) pos[k * D + d] = y[d];
            lp[k] = lpy;
          }
        }
      });
      for (int k = first; k < first + half; ++k) {
        SPECNET_CHECK(!nan_seen[k], "mcmc: log_prob returned NaN for a proposal of walker ", k, " at step ", step);
        total_accepted += accepted[k];
      }
    }
    if (step >= o.burn_in && (step - o.burn_in) % o.thin == 0) {
      r.chain.insert(r.chain.end(), pos.begin(), pos.end());
      r.log_prob.insert(r.log_prob.end(), lp.begin(), lp.end());
    }
  }
  r.acceptance = static_cast<double>(total_accepted) / (static_cast<double>(o.steps) * W);

  const std::int64_t S = r.kept_steps * W;
  r.mean.assign(D, 0.0);
  r.covariance.assign(static_cast<std::size_t>(D) * D, 0.0);
  for (std::int64_t s = 0; s < S; ++s)
    for (int d = 0; d < D; ++d) r.mean[d] += r.chain[s * D + d];
  for (double& m : r.mean) m /= static_cast<double>(S);
  for (std::int64_t s = 0; s < S; ++s)
    for (int a = 0; a < D; ++a)
      for (int b = 0; b < D; ++b)
        r.covariance[a * D + b] += (r.chain[s * D + a] - r.mean[a]) * (r.chain[s * D + b] - r.mean[b]);
  for (double& c : r.covariance) c /= static_cast<double>(std::max<std::int64_t>(S - 1, 1));
  r.tau.resize(D);
  for (int d = 0; d < D; ++d)
    r.tau[d] = r.kept_steps >= 2 ? o.thin * integrated_autocorr_time(&r.chain[d], r.kept_steps, W, static_cast<std::int64_t>(W) * D, D, o.tau_c)
                                 : std::numeric_limits<double>::quiet_NaN();
  return r;
}

}  // namespace specnet::fit
