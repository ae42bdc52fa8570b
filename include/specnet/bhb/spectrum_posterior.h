// The posterior of one observed BHB spectrum as a fit sees it: the network's training prior times the fit
// statistic's likelihood, from what an observer has (source and background PHA files, the response). Unlike
// ExactPosterior (oracle.h: the simulation's own Poisson law with its known background rate), it applies to real
// spectra, so importance sampling (importance.h) can check and refine the network's posterior of real data.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/fit/fit_problem.h"
#include "specnet/fit/fitter.h"

namespace specnet::bhb {

// The fit of channel counts (H) of a simulated spectrum: the simulation's model and response over 0.3-10 keV,
// PG-stat with the simulation's background realisation (the problem behind reduced_pgstat and fit_baseline).
std::unique_ptr<fit::FitProblem> simulation_problem(const Simulation& s, const std::vector<double>& counts);
// The fit of a real spectrum with the simulation's model and response (make_simulation's `response`) over 0.3-10 keV:
// source PHA (COUNTS; EXPOSURE x AREASCAL, QUALITY), and with a background PHA (COUNTS; its exposure, AREASCAL,
// BACKSCAL against the source's, STAT_ERR when present) `background_statistic`, without one C-stat.
// background_statistic: pgstat (a Gaussian background, as NICER's model backgrounds; biased when the background
// file has ~1 count per channel or fewer) or wstat (a Poisson background spectrum, profiled per bin).
// grouping: the fitted bins (fit::GroupingChoice): by default the source file's GROUPING column, as XSPEC fits it;
// bmin:N groups to >= N background counts per bin, which removes most of PG-stat's bias on a sparse background.
// Errors: unreadable or rate files, channel counts other than the response's, another statistic, bmin without a
// background file.
std::unique_ptr<fit::FitProblem> pha_problem(const Simulation& s, const PhaSpectra& files,
                                             fit::Statistic background_statistic = fit::Statistic::pgstat,
                                             const fit::GroupingChoice& grouping = {});
std::unique_ptr<fit::FitProblem> pha_problem(const Simulation& s, const std::string& source_path,
                                             const std::string& background_path,
                                             fit::Statistic background_statistic = fit::Statistic::pgstat,
                                             const fit::GroupingChoice& grouping = {});

// Physical parameters (kParamNames order) -> the problem's free values, clamped into the model's hard limits.
std::vector<double> free_values_of(const fit::FitProblem& prob, const std::array<double, kNumParams>& theta);
// The problem's reduced statistic (statistic / degrees of freedom) at physical parameters.
double reduced_statistic(const fit::FitProblem& prob, const std::array<double, kNumParams>& theta);
// A bounded Levenberg-Marquardt fit of the problem (max_iterations; 130 as XSPEC in paper 002) from `start`
// (physical) or, when null, the model's current values; theta receives the fitted parameters.
fit::FitResult fit_problem(fit::FitProblem& prob, int max_iterations, std::array<double, kNumParams>& theta,
                           const std::array<double, kNumParams>* start = nullptr);

// log p(theta | spectrum) up to a constant in the network's unscaled space u (log10 of N_H, f_sc, kT_disk, N;
// Gamma linear): uniform on `box` times exp(-statistic / 2). Evaluates concurrently, one Scratch per thread.
class SpectrumPosterior {
 public:
  // Errors: a problem whose free parameters are not the kNumParams of kModelExpression.
  SpectrumPosterior(std::shared_ptr<const fit::FitProblem> problem, const PriorBox& box);
  struct Scratch {
    fit::FitProblem::Scratch fit;
    std::vector<double> free;  // (kNumParams) free values in the problem's order
  };
  Scratch make_scratch() const;
  // -inf outside the box or where the model cannot be evaluated.
  double log_prob(const double* u, Scratch& scratch) const;
  const PriorBox& box() const { return box_; }
  const fit::FitProblem& problem() const { return *problem_; }

 private:
  std::shared_ptr<const fit::FitProblem> problem_;
  PriorBox box_;
  std::array<std::int64_t, kNumParams> free_slot_{};  // position of each kParamNames parameter among the free values
};

}  // namespace specnet::bhb
