// Bounded Levenberg-Marquardt fit of a FitProblem's free parameters (XSPEC's `fit`), covariance from the
// Gauss-Newton Hessian, delta-statistic confidence intervals by bisection on the profile (XSPEC's `error`).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "specnet/fit/fit_problem.h"

namespace specnet::fit {

struct FitOptions {
  int max_iterations = 200;        // Levenberg-Marquardt iterations per start
  double stat_tolerance = 1e-4;    // converged when an accepted step lowers the statistic by less than this
  int restarts = 0;                // extra starts from random points within the soft limits (seeded)
  std::uint64_t seed = 0;          // restart k draws its start from Philox stream (seed, k)
  bool errors = true;              // 1-sigma errors from the covariance
  // Parameters (names or aliases, as CompositeModel::param_index) for delta-stat intervals; "*" = all free.
  std::vector<std::string> interval_params;
  double delta_stat = 2.706;       // 90% for one parameter
  double interval_tolerance = 0.01;  // bisection stops when |profile - (best + delta)| < this
  int interval_max_steps = 40;     // bisection + bracketing steps per side
};

struct Interval {
  std::string name;
  double lo = 0, hi = 0;
  bool lo_at_limit = false, hi_at_limit = false;  // the profile stayed below best + delta up to the hard limit
  bool ok = true;                                  // false when the search failed (message in FitResult)
};

struct FitResult {
  std::vector<std::string> names;  // (P) free parameter names
  std::vector<double> values;      // (P) best fit
  std::vector<double> errors;      // (P) sqrt(diag covariance); NaN when the Hessian is singular
  std::vector<double> covariance;  // (P, P) row-major, 2 H^-1 with H = J^T W J the Hessian of the statistic
  std::vector<Interval> intervals;
  double statistic = 0;
  std::int64_t dof = 0;
  double reduced = 0;              // statistic / dof (NaN for dof <= 0)
  bool converged = false;
  int iterations = 0;              // of the best start
  std::string message;             // why it stopped (and any interval problems)
};

// Fits from the model's current values (clamped into the hard limits), then from options.restarts random
// starts; keeps the lowest statistic. Leaves problem.model() at the best fit. Non-finite model values and
// every other evaluation error at a trial point count as a failed step (never an exception or a hang); an
// error at the starting point gives converged = false with the reason in message.
FitResult fit_model(FitProblem& problem, const FitOptions& options = {});

// XSPEC-like table: parameter, value, error, interval; statistic, dof, reduced statistic.
std::string format_fit(const FitResult& result, Statistic statistic);

}  // namespace specnet::fit
