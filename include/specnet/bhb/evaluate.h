// Evaluation of the spectral-posterior network as paper 002: PCC of posterior samples with the targets, coverage of
// highest-density credible regions, reduced PG-stat at the posterior median against a fit and the true parameters.
#pragma once
#include <array>
#include <string>
#include <vector>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/bhb/network.h"
#include "specnet/fit/fitter.h"

namespace specnet::bhb {

// Pearson correlation of two equally long samples; Error for fewer than 2 values or zero variance.
double pearson(const std::vector<double>& a, const std::vector<double>& b);

// Smallest HPD credible level containing the truth, per spectrum: the fraction of the spectrum's n draws whose
// log q exceeds log q(truth). sample_log_q (N, n), truth_log_q (N) -> (N), each in [0, 1].
std::vector<double> hpd_levels(const std::vector<float>& sample_log_q, const std::vector<double>& truth_log_q,
                               std::int64_t N, std::int64_t n);
// Fraction of levels <= each credible level in `levels` (the coverage curve; the diagonal when calibrated).
std::vector<double> coverage(const std::vector<double>& hpd, const std::vector<double>& levels);
// Largest |coverage - level| of such a curve (the calibration criterion). Error for unequal lengths.
double coverage_deviation(const std::vector<double>& coverage, const std::vector<double>& levels);

// Posterior draws of a set, in the network's scaled parameter space.
struct Posterior {
  std::int64_t N = 0, n = 0;
  std::vector<float> samples;       // (N, n, P)
  std::vector<float> log_q;         // (N, n)
  std::vector<float> truth;         // (N, P) scaled targets
  std::vector<double> truth_log_q;  // (N) log q(truth | x), from the flow's density pass; NaN when unlabelled
  double seconds_encode = 0, seconds_sample = 0;
};
// Encodes the set, draws n samples per spectrum with FastFlowSampler (at `precision`), and evaluates log q at the
// targets.
Posterior sample_posterior(Network& net, const Scaling& scaling, const Dataset& data, std::int64_t n,
                           std::uint64_t seed,
                           FastFlowSampler::Precision precision = FastFlowSampler::Precision::f32);
// Per-parameter median of the draws of spectrum i, in physical units.
std::array<double, kNumParams> posterior_median(const Posterior& post, const Scaling& scaling, std::int64_t i);
// The draw of spectrum i with the highest log q (the first of ties), in physical units: unlike the marginal
// medians it lies on the posterior's ridge when the parameters are strongly correlated.
std::array<double, kNumParams> posterior_best_draw(const Posterior& post, const Scaling& scaling, std::int64_t i);
// The paper's PCC for parameter p: the first min(50, n) draws of each spectrum against its target, pooled over
// the spectra in `subset` (all when empty); and the PCC of the posterior medians, which it returns too (scaled
// space, one per spectrum of the subset). Error for a subset with fewer than 2 spectra or an index out of range.
struct ParameterPcc {
  double draws = 0, median = 0;
  std::vector<double> medians;  // (subset size)
};
ParameterPcc parameter_pcc(const Posterior& post, std::int64_t p, const std::vector<std::int64_t>& subset = {});
// Where the network gains or loses information: the spectra (N) grouped by their true parameters (physical, (N, P)
// as the records hold them) into "all", f_sc below / from 0.03, kT_disk below 0.1 / 0.1-0.3 / 0.3-1 / from 1 keV,
// f_sc >= 0.03 with kT_disk >= 0.3 keV (where the exact posterior still pins Gamma, docs/results-bhb.md), and, when
// total_counts (N) is given, the quartiles of the source counts. Subsets may be empty.
struct SpectrumSubset {
  std::string name;
  std::vector<std::int64_t> rows;
};
std::vector<SpectrumSubset> spectrum_subsets(const double* params, std::int64_t N, const double* total_counts = nullptr);
// A table cell "0.912 / 0.950": parameter_pcc of draws / medians over `rows`; "n/a" for fewer than 3 spectra.
std::string pcc_cell(const Posterior& post, std::int64_t p, const std::vector<std::int64_t>& rows);
// Credible levels of the coverage curve: 0.05, 0.10, ..., 0.95 and 0.99.
std::vector<double> credible_levels();
// Chi-square distribution function with dof degrees of freedom (the regularized lower incomplete gamma function
// P(dof / 2, x / 2): series below dof / 2 + 1, Lentz's continued fraction above). 0 for x <= 0; Error for dof < 1
// or a NaN x.
double chi2_cdf(double x, int dof);

// Reduced PG-stat of spectrum `index` of a simulation over 0.3-10 keV (channels; the simulation's background) at
// the given physical parameters, clamped into the model's hard limits.
double reduced_pgstat(const Simulation& s, const std::vector<double>& counts, const std::array<double, kNumParams>& theta);
// The fitting baseline: a bounded Levenberg-Marquardt PG-stat fit (max_iterations as XSPEC's 130 in the paper) from
// `start` (physical) or, when null, the model's default values; returns the fitted parameters and the statistic.
fit::FitResult fit_baseline(const Simulation& s, const std::vector<double>& counts, int max_iterations,
                            std::array<double, kNumParams>& theta, const std::array<double, kNumParams>* start = nullptr);
// The paper's prior box in the network's unscaled space (log10 of N_H, f_sc, kT_disk, N; Gamma linear), where the
// (log-)uniform priors are uniform. Error unless the simulation has kNumParams priors.
struct PriorBox {
  std::array<double, kNumParams> lo{}, hi{};
};
PriorBox prior_box(const Simulation& s);
// A point u of the unscaled space (P) as physical values at free-value positions slot[p] of `free`; false (free
// partly set) when u lies outside the box or is NaN. The prior-and-parameter step of the exact and fit posteriors.
bool box_to_free(const PriorBox& box, const std::array<std::int64_t, kNumParams>& slot, const double* u,
                 std::vector<double>& free);
// Ensemble MCMC of the PG-stat likelihood with the paper's (log-)uniform priors, in the network's log10 space;
// walkers start at network draws. Returns (kept, P) draws in scaled units (comparable with Posterior::samples).
std::vector<float> mcmc_posterior(const Simulation& s, const Scaling& scaling, const std::vector<double>& counts,
                                  const std::vector<float>& start_scaled, int walkers, int steps, int burn_in,
                                  std::uint64_t seed);

}  // namespace specnet::bhb
