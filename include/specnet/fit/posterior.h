// Bayesian posterior of a spectral fit's free parameters by the ensemble sampler (as XSPEC's `chain` with the
// Goodman-Weare algorithm): log p = -statistic / 2 with uniform priors inside the hard limits.
#pragma once
#include "specnet/fit/fitter.h"
#include "specnet/fit/mcmc.h"

namespace specnet::fit {

// Walkers start in a small Gaussian ball around best.values (1% of each covariance error, or 1e-3 of the value
// when the errors are unknown), drawn from Philox streams (seed, walkers + w). Each walker evaluates through its
// own FitProblem::Scratch, so the problem is shared safely across threads. Errors when best does not belong
// to the problem (parameter count) or a walker cannot start at a finite statistic.
McmcResult sample_posterior(const FitProblem& problem, const FitResult& best, const McmcOptions& options = {});

// Central credible interval [q, 1 - q] of parameter d from the kept samples (e.g. q = 0.05 for 90%).
void credible_interval(const McmcResult& result, int d, double q, double* lo, double* hi);

}  // namespace specnet::fit
