// The exact Bayesian posterior of the BHB simulation as an oracle for the network's metrics (paper 002): the training
// prior box and the Poisson law the grouped counts were drawn with, sampled by the ensemble MCMC (as emcee).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/group_model.h"

namespace specnet::bhb {

// log p(theta | grouped counts) up to a constant, in the network's unscaled space u (log10 of N_H, f_sc, kT_disk, N;
// Gamma linear): uniform on prior_box(s) times the Poisson likelihood of the L group counts S_g with GroupModel's
// means m_g(u): -0.5 sum_g cstat(S_g, m_g).
class ExactPosterior {
 public:
  // counts (H): source channel counts as resimulate() returns them. Errors for a length other than the response's
  // channel count or a negative / non-finite count, and GroupModel's.
  ExactPosterior(const Simulation& s, const std::vector<double>& counts);
  // Per-thread state (GroupModel's), so that walkers evaluate concurrently; group_mean holds the expected counts per
  // group at the last finite log_prob.
  using Scratch = GroupModel::Scratch;
  Scratch make_scratch() const { return means_.make_scratch(); }
  // -inf outside the prior box or where the model cannot be evaluated.
  double log_prob(const double* u, Scratch& scratch) const;
  const PriorBox& box() const { return means_.box(); }
  std::int64_t num_groups() const { return static_cast<std::int64_t>(group_counts_.size()); }
  const std::vector<double>& group_counts() const { return group_counts_; }  // (L) S_g
  const Simulation& simulation() const { return means_.simulation(); }
  const std::vector<double>& counts() const { return counts_; }  // (H)

 private:
  GroupModel means_;
  std::vector<double> counts_;        // (H) channel counts
  std::vector<double> group_counts_;  // (L) S_g
};

// The likelihood-ratio statistic of the truth, 2 (max log posterior - log posterior at the truth), u_truth in the
// unscaled space (log10 of N_H, f_sc, kT_disk, N; Gamma). The maximum is found by Fisher scoring on the grouped
// Poisson means (Levenberg-Marquardt damped, forward-difference Jacobian) from the truth, inside the prior box, for at
// most max_iterations steps. For a regular, well-constrained posterior under the flat prior it follows chi-square
// with kNumParams degrees of freedom (Wilks), so over a set of spectra chi2_cdf(statistic) plays the role of the
// truth's HPD level under the exact posterior: its coverage curve is what an exact posterior scores on those spectra
// (approximately: a parameter held at the box's edge or a curved posterior departs from it). Error for a truth
// outside the box.
double truth_likelihood_ratio(const ExactPosterior& post, const std::array<double, kNumParams>& u_truth,
                              int max_iterations = 60);
// The same for a spectrum of a simulation: its channel counts (H) and the physical truth (kParamNames order).
double truth_likelihood_ratio(const Simulation& s, const std::vector<double>& counts,
                              const std::array<double, kNumParams>& truth);

// The exact posterior's density at the truth, log p(u_truth | counts) in the unscaled space u, normalised over the
// prior box: the most an amortised posterior can score on its training loss, since over spectra drawn from the prior
// E[-log q(truth | x)] >= E[-log p(truth | x)] for any q. Two estimates around the maximum (Fisher scoring from the
// truth, as truth_likelihood_ratio):
// - laplace: -lr / 2 - (P / 2) log(2 pi) + (1 / 2) log det A - log m, where A is the Fisher information of the grouped
//   Poisson means at the maximum plus the prior box's own precision (12 / width^2 per parameter, so that a direction
//   the data do not constrain keeps the prior's spread), and m the mass of N(u_max, A^-1) inside the box (box_draws
//   Monte Carlo draws). Exact for a Gaussian likelihood far from the box's faces.
// - importance: the normaliser by importance sampling from a multivariate t (proposal_df) with scale matrix A^-1
//   around the maximum, `draws` likelihood evaluations; it corrects a skewed or curved posterior. Its ESS says how
//   far to trust it (a small ESS biases log Z low, so the density high).
struct TruthDensityOptions {
  std::int64_t box_draws = 4096;  // Gaussian draws for the box mass m (no likelihood evaluations)
  std::int64_t draws = 0;         // importance-sampling draws (0: laplace only)
  double proposal_df = 4;
  std::uint64_t seed = 0;
  int max_iterations = 60;
};
struct TruthDensity {
  double lr = 0;                  // 2 (max log posterior - log posterior at the truth)
  std::array<double, kNumParams> u_max{};
  double box_mass = 0;            // m above
  double laplace = std::numeric_limits<double>::quiet_NaN();     // NaN where the Fisher matrix fails or m = 0
  double importance = std::numeric_limits<double>::quiet_NaN();  // NaN without draws or where every weight is 0
  double ess = 0;
};
// Error for a truth outside the box or bad options.
TruthDensity truth_log_density(const ExactPosterior& post, const std::array<double, kNumParams>& u_truth,
                               const TruthDensityOptions& options = {});

struct OracleOptions {
  int walkers = 16;              // even, >= 4
  int steps = 1200;              // per walker, burn-in included (400 / 200 over-covers: docs/results-bhb.md)
  int burn_in = 1000;
  std::int64_t samples = 64;     // draws kept per spectrum, evenly spaced over the kept chain
  double start_width = 1e-3;     // walkers start around the truth, Gaussian of this fraction of each box width
  std::uint64_t seed = 0;        // spectrum i uses walker streams of seed + i
};

// One spectrum: walkers start in a small ball around the truth (a draw of the exact posterior, so no mode is missed)
// and run o.steps stretch moves; the o.samples draws are spread evenly over the chain after burn-in.
struct OracleChain {
  std::vector<float> samples;   // (samples, P) in `scaling`'s space
  std::vector<float> log_post;  // (samples) log posterior of each draw (the constant of ExactPosterior)
  double truth_log_post = 0;    // at the truth
  double acceptance = 0;        // accepted / proposed moves
  double max_tau = 0;           // largest integrated autocorrelation time over the parameters (steps)
};
// counts (H) and the true parameters (physical). Errors: bad options (samples < 2 or above walkers x kept steps,
// start_width <= 0), a truth outside the prior box or where the likelihood is not finite.
OracleChain oracle_chain(const Simulation& s, const Scaling& scaling, const std::vector<double>& counts,
                         const std::array<double, kNumParams>& truth, const OracleOptions& o, std::uint64_t seed);

// Record i of a labelled synthetic or shifted set resimulated from its stored index: its channel counts (H) and true
// parameters (physical). Errors: a real (kind 2) set, an unlabelled record, stored parameters or counts that differ
// from the resimulation (a set made with another seed or response): counts by more than kResimulationTolerance of
// them, which a model change at the rounding level stays within.
constexpr double kResimulationTolerance = 1e-6;
void resimulate_record(const Simulation& s, const Dataset& d, std::int64_t i, std::vector<double>& counts,
                       std::array<double, kNumParams>& truth);

// The oracle on records [0, count) of a labelled synthetic set (each resimulated from its stored index) as a
// Posterior, so that the report's PCC and HPD coverage apply unchanged (log_q = the exact log posterior).
struct OracleRun {
  Posterior post;
  std::vector<double> acceptance;  // (count) MCMC only
  std::vector<double> max_tau;     // (count) MCMC only
  std::vector<double> ess;         // (count) importance sampling only (bhb/importance.h): ESS of the draws resampled
  std::vector<double> network_ess; // (count) importance sampling only: ESS of the network's own draws
  std::vector<int> rounds;         // (count) importance sampling only: adaptive rounds run
  std::vector<int> restart;        // (count) importance sampling only: FitCheck::restart (0 also without the check)
  std::vector<std::array<double, kNumParams>> truth;  // (count) physical
  std::vector<std::vector<double>> counts;            // (count, H) channel counts, for PG-stat at the medians
  double seconds = 0;
  // One more spectrum: its draws (n, P) in `scaling`'s space with their log posterior (n), the log posterior at the
  // truth (physical), and its counts.
  void append(const Scaling& scaling, const std::vector<float>& draws, const std::vector<float>& log_post,
              double truth_log_post, const std::array<double, kNumParams>& truth, std::vector<double> counts);
};
// Errors: count < 1 or above the set's size, samples < 2, an unlabelled or real (kind 2) set, a record whose
// stored parameters or counts differ from its resimulation (another seed or response). Spectrum i uses MCMC seed
// o.seed + i. progress(i, run) is called after each spectrum when given.
OracleRun run_oracle(const Simulation& s, const Scaling& scaling, const Dataset& d, std::int64_t count,
                     const OracleOptions& o,
                     const std::function<void(std::int64_t, const OracleRun&)>& progress = nullptr);

}  // namespace specnet::bhb
