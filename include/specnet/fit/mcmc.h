// Affine-invariant ensemble MCMC (Goodman & Weare 2010 stretch move, as emcee's default move): the walkers are
// split into two halves updated in turn in parallel; each walker draws from its own Philox stream.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

namespace specnet::fit {

struct McmcOptions {
  int walkers = 32;            // even and >= 4 (emcee advises >= 2 dim)
  int steps = 2000;            // total steps per walker, burn-in included
  int burn_in = 500;           // steps discarded
  int thin = 1;                // keep every thin-th step after burn-in
  double a = 2.0;              // stretch scale: z ~ g(z) ∝ 1/sqrt(z) on [1/a, a]
  std::uint64_t seed = 0;      // walker k uses Philox stream (seed, k)
  std::int64_t chunk = 4;      // walkers per parallel_for chunk (results do not depend on it or on threads)
  double tau_c = 5.0;          // emcee's auto-window constant
};

struct McmcResult {
  int dim = 0, walkers = 0;
  std::int64_t kept_steps = 0;
  std::vector<double> chain;      // (kept_steps, walkers, dim) after burn-in and thinning
  std::vector<double> log_prob;   // (kept_steps, walkers)
  double acceptance = 0;          // accepted / proposed over all steps
  std::vector<double> tau;        // (dim) integrated autocorrelation time in steps (of the kept chain x thin)
  std::vector<double> mean;       // (dim) over the kept samples
  std::vector<double> covariance; // (dim, dim) row-major
};

// log_prob(x (dim)) -> log density (-inf outside the support); called concurrently from several threads, so it
// must be thread-safe. initial (walkers, dim): starting positions, each with a finite log density. Errors for
// bad options, a bad initial ensemble or a NaN log density.
McmcResult run_ensemble(const std::function<double(const double*)>& log_prob, int dim,
                        const std::vector<double>& initial, const McmcOptions& options = {});
// The same with log_prob(x, walker): a walker is evaluated by one thread at a time, so the caller may keep
// per-walker scratch state (a model copy per walker) indexed by `walker`.
McmcResult run_ensemble_indexed(const std::function<double(const double*, int)>& log_prob, int dim,
                                const std::vector<double>& initial, const McmcOptions& options = {});

// Integrated autocorrelation time of one parameter: sample (t, w) at samples[t * step_stride + w * walker_stride];
// walker-averaged autocorrelation function with emcee's automatic window (the smallest lag M >= c tau(M)).
double integrated_autocorr_time(const double* samples, std::int64_t steps, int walkers, std::int64_t step_stride,
                                std::int64_t walker_stride, double c = 5.0);

}  // namespace specnet::fit
