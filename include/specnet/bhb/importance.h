// Neural importance sampling (Dax et al. 2023, "Neural importance sampling for rapid and reliable gravitational-wave
// inference"): the network's draws as proposals, reweighted by the exact posterior of the BHB simulation. The
// resampled draws follow the exact posterior as the number of proposals grows; the effective sample size of the
// weights says, per spectrum, how far the network's posterior is from it (n when equal, ~1 when the network missed).
// The target is the simulation's exact posterior (ExactPosterior) or, for real spectra, the fit posterior of the
// observed source and background files (SpectrumPosterior).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "specnet/bhb/oracle.h"
#include "specnet/bhb/spectrum_posterior.h"

namespace specnet::bhb {

// Log importance weights (n; -inf for a proposal outside the target's support, never NaN or +inf) made relative to
// the largest finite one: the weights w (n, largest 1), their Kish effective sample size (sum w)^2 / sum w^2, the log
// of the mean raw weight (the target's normaliser over the proposal's), and how many are finite. With none finite:
// ess 0, log_mean -inf and all weights 0.
struct RelativeWeights {
  std::vector<double> w;  // (n)
  double sum = 0;         // of w
  double ess = 0;
  double log_mean = 0;
  std::int64_t finite = 0;
};
RelativeWeights relative_weights(const std::vector<double>& log_w);

// Self-normalised importance weights w_j ~ exp(log_target_j - log_q_j) of n proposals and n_out draws resampled
// from them (systematic resampling: one uniform, so each proposal is picked floor or ceil of n_out w_j times).
// log_target may be -inf (outside the prior); log_q must be finite. Errors: n < 1, n_out < 1, a non-finite
// log_q, a NaN or +inf log_target, or no proposal with a finite log_target.
struct ImportanceWeights {
  std::vector<std::int64_t> pick;  // (n_out) proposal index of each resampled draw, ascending
  double ess = 0;                  // Kish effective sample size (sum w)^2 / sum w^2, in [1, n]
  double log_evidence = 0;         // log of the mean raw weight: log of the target's normaliser over q's
  std::int64_t finite = 0;         // proposals with a finite log_target (inside the prior box)
};
ImportanceWeights importance_weights(const double* log_target, const float* log_q, std::int64_t n, std::int64_t n_out,
                                     std::uint64_t seed);

// Adaptive rounds after the network's (adaptive multiple importance sampling, AMIS: Cornuet et al. 2012, with a
// cross-entropy start): when the network's posterior is much wider than the exact one (a bright spectrum pins the
// parameters far more tightly than the encoder's summary does), its n draws give an ESS near 1. Each round fits a
// multivariate Student-t to the draws so far: while their ESS is below min_ess, to the top `elite` fraction by exact
// posterior, unweighted (the cross-entropy method, which closes in on the mode), else to their weighted mean and
// covariance; it draws n fresh proposals from it. The rounds' draws are pooled and each is weighted against the
// equal mixture of all the rounds' Student-t densities, so a round that missed only dilutes the mixture and the
// ESS accumulates. It stops after a weighted-moment round whose pooled ESS reaches stop_ess_fraction x n, or after
// `rounds`. The network's own draws serve only to start: the flow's density at other points is not at hand.
struct RefineOptions {
  int rounds = 0;             // 0: the network's draws only (plain importance sampling)
  double elite = 0.1;         // fraction of draws kept by the cross-entropy step
  double min_ess = 20;        // below it, the weighted moments are too noisy: cross-entropy step instead
  double stop_ess_fraction = 0.25;  // stop when ESS >= this fraction of n after a weighted-moment round
  double dof = 5;             // Student-t degrees of freedom (an integer in [1, 8]): heavier tails than a Gaussian
  int fit_iterations = 0;     // > 0: the fit check below, with this many Levenberg-Marquardt iterations
  int move_steps = 0;         // > 0: random-walk Metropolis steps on every resampled draw (resample-move), which
                              // spread the resampling's duplicates into tails the proposals under-sample
};

// The fit as a check on the search (RefineOptions::fit_iterations > 0). After the rounds, a bounded Levenberg-Marquardt
// fit (PG-stat of the simulation's channels for ExactPosterior, the spectrum's own statistic for SpectrumPosterior)
// from the median of the resampled draws. When the fit, clamped into the prior box, has a log posterior more than 1
// above every resampled draw, the rounds missed the mode: they restart from Gaussian proposals around it (2% of the
// box's width per parameter; the rounds narrow them) and the run with the higher evidence estimate is kept. When the
// restarted run is kept, a second fit from its median replaces the first if it reaches a lower statistic.
struct FitCheck {
  bool ran = false;
  std::array<double, kNumParams> theta{};  // fitted parameters (physical; within the model's limits, not the box)
  double reduced_statistic = 0;            // of the fit
  double log_post_gain = 0;                // target log posterior at the clamped fit minus the best resampled draw's
  int restart = 0;                         // 0 none, 1 tried and not kept, 2 kept
};

// One spectrum: n proposals (n, P) in `scaling`'s space with their log q (the flow's density in that space; the
// scaling's Jacobian is a constant and cancels), evaluated under `post` in parallel (same result on any thread
// count), refined by up to o.rounds adaptive rounds, resampled to n_out draws (from the pooled rounds when any ran).
// When every draw lies outside the prior box (a spectrum far from the training set), the rounds start from them with
// the offending coordinates redrawn uniformly in the box; without rounds that is an error.
struct ImportanceDraws {
  std::vector<float> samples;   // (n_out, P) in `scaling`'s space
  std::vector<float> log_post;  // (n_out) target log posterior of each draw (up to the target's constant)
  ImportanceWeights weights;    // of the draws resampled from (the pool of the adaptive rounds, else the network's)
  double network_ess = 0;       // ESS of the network's own draws (round 0); 0 when all lie outside the prior box
  int rounds = 0;               // adaptive rounds run (of the run kept)
  FitCheck fit;
  double move_acceptance = 0;   // of the resample-move steps (RefineOptions::move_steps)
};
ImportanceDraws importance_resample(const ExactPosterior& post, const Scaling& scaling, const float* draws,
                                    const float* log_q, std::int64_t n, std::int64_t n_out, std::uint64_t seed,
                                    const RefineOptions& o = {});
// The same against a spectrum's fit posterior (PG-stat or C-stat under the training prior): the path for real
// spectra, whose exact likelihood is not known; log_post then holds SpectrumPosterior's log posterior.
ImportanceDraws importance_resample(const SpectrumPosterior& post, const Scaling& scaling, const float* draws,
                                    const float* log_q, std::int64_t n, std::int64_t n_out, std::uint64_t seed,
                                    const RefineOptions& o = {});

// Records [0, count) of a labelled synthetic set with the network's posterior `proposal` (from sample_posterior on
// the same records) reweighted to the exact posterior, as an OracleRun: acceptance and max_tau stay empty; ess,
// network_ess and rounds hold the diagnostics. Spectrum i uses seed + i. Errors as run_oracle, and for a proposal
// with fewer spectra than count. progress(i, run) is called after each spectrum when given.
OracleRun run_importance(const Simulation& s, const Scaling& scaling, const Dataset& d, std::int64_t count,
                         const Posterior& proposal, std::int64_t n_out, std::uint64_t seed, const RefineOptions& o,
                         const std::function<void(std::int64_t, const OracleRun&)>& progress = nullptr);

}  // namespace specnet::bhb
