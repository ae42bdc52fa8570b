// Fit statistics for counts spectra with XSPEC's conventions (XSPEC manual, appendix "Statistics in XSPEC"):
// cstat, wstat (Poisson background profiled out), pgstat (Gaussian background profiled out) and chi2.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace specnet::fit {

enum class Statistic { cstat, wstat, pgstat, chi2 };
// "cstat" | "wstat" | "pgstat" | "chi2" (also "chi"); Error listing the valid names otherwise.
Statistic parse_statistic(const std::string& name);
const char* statistic_name(Statistic s);

// Smallest model counts used in a log (XSPEC floors the model at a tiny positive value).
constexpr double kModelFloorCounts = 1e-10;

// Per-bin contributions. y is the source model rate (counts/s) in the bin, t_s the source exposure (s, times
// AREASCAL), t_b the background exposure in source-region units (t_b = exposure_b AREASCAL_b BACKSCAL_b /
// BACKSCAL_s). S, B are counts; sigma_b is the background error in counts.
// cstat: 2 [m - S + S (ln S - ln m)], m = max(model counts, floor); S ln S = 0 for S = 0.
double cstat_bin(double source_counts, double model_counts);
// wstat: the XSPEC closed form with the background rate f profiled out (special cases S = 0 and B = 0).
// background_rate_out, when given, receives the profiled f (counts/s).
double wstat_bin(double source_counts, double background_counts, double y_rate, double t_s, double t_b,
                 double* background_rate_out = nullptr);
// pgstat: Poisson source, Gaussian background (B +- sigma_b); sigma_b = 0 means an exactly known background.
double pgstat_bin(double source_counts, double background_counts, double sigma_b_counts, double y_rate, double t_s,
                  double t_b, double* background_rate_out = nullptr);
// chi2: (S - m)^2 / sigma^2, sigma > 0.
double chi2_bin(double source_counts, double model_counts, double sigma_counts);

// The data of one (possibly grouped) spectrum over the N bins that are fitted.
struct FitData {
  Statistic statistic = Statistic::cstat;
  std::vector<double> counts;             // (N) source counts S
  std::vector<double> stat_err;           // (N) chi2: source errors (counts); empty -> sqrt(max(S, 1))
  std::vector<double> background_counts;  // (N) wstat / pgstat (required), chi2 (optional, subtracted)
  std::vector<double> background_err;     // (N) pgstat / chi2 background errors; empty -> sqrt(B)
  double exposure_s = 0;                  // t_s
  double background_exposure_s = 0;       // t_b (source-region units), for background statistics
  std::size_t num_bins() const { return counts.size(); }
};

// Error naming the problem: empty data, NaN / negative counts, non-positive exposures, mismatched lengths,
// a background statistic without background counts, chi2 errors <= 0.
void check_fit_data(const FitData& data);

// The statistic for model source rates y (N, counts/s per bin). per_bin (N), if given, gets each contribution;
// d_dy (N), if given, its derivative with respect to y (exact; the profiled background held at its optimum, which
// is exact by the envelope theorem), and weight (N), if given, a non-negative curvature d2/dy2 for Gauss-Newton.
// Error for non-finite or negative model rates.
double evaluate_statistic(const FitData& data, const double* y_rate, double* per_bin = nullptr,
                          double* d_dy = nullptr, double* weight = nullptr);

// Degrees of freedom (bins - free parameters) and statistic / dof (NaN when dof <= 0).
std::int64_t degrees_of_freedom(const FitData& data, std::int64_t num_free);
double reduced_statistic(double statistic, std::int64_t dof);

}  // namespace specnet::fit
