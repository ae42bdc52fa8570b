// Fit problems of simulated and real BHB spectra, and the posterior they give under the network's training prior.
#include "specnet/bhb/spectrum_posterior.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "specnet/error.h"
#include "specnet/io/pha.h"

namespace specnet::bhb {

namespace {
// The band of paper 002's fits (its 240 groups span 0.3-10 keV).
fit::SpectrumOptions band_options(fit::Statistic statistic) {
  fit::SpectrumOptions o;
  o.statistic = statistic;
  o.e_min_kev = 0.3;
  o.e_max_kev = 10.0;
  return o;
}

std::unique_ptr<fit::FitProblem> make(const Simulation& s, const std::vector<double>& counts, double exposure_s,
                                      const fit::SpectrumOptions& o) {
  auto matrix = std::make_shared<const io::SparseResponse>(s.fakeit.matrix);
  return std::make_unique<fit::FitProblem>(s.model, matrix, counts, exposure_s, o);
}

}  // namespace

std::unique_ptr<fit::FitProblem> simulation_problem(const Simulation& s, const std::vector<double>& counts) {
  fit::SpectrumOptions o = band_options(fit::Statistic::pgstat);
  o.background_counts = s.background_counts;
  o.background_exposure_s = s.fakeit.exposure_s / s.bkg_ratio;
  return make(s, counts, s.fakeit.exposure_s, o);
}

std::unique_ptr<fit::FitProblem> pha_problem(const Simulation& s, const PhaSpectra& files,
                                             fit::Statistic background_statistic, const fit::GroupingChoice& grouping) {
  SPECNET_CHECK(background_statistic == fit::Statistic::pgstat || background_statistic == fit::Statistic::wstat,
                "bhb: the statistic with a background file must be pgstat or wstat");
  check_pha_channels(files, s.fakeit.matrix.num_outputs());
  const io::Spectrum& src = files.source;
  fit::SpectrumOptions o = band_options(files.background ? background_statistic : fit::Statistic::cstat);
  o.quality = src.quality;
  if (files.background) {
    const io::Spectrum& b = *files.background;
    o.background_counts = b.counts;
    o.background_err = b.stat_err;  // empty: the fit takes sqrt(B)
    o.background_exposure_s = b.exposure_s * b.areascal * b.backscal / src.backscal;
  }
  fit::apply_grouping(grouping, src.grouping, o);
  return make(s, src.counts, src.exposure_s * src.areascal, o);
}

std::unique_ptr<fit::FitProblem> pha_problem(const Simulation& s, const std::string& source_path,
                                             const std::string& background_path, fit::Statistic background_statistic,
                                             const fit::GroupingChoice& grouping) {
  return pha_problem(s, read_pha_spectra(source_path, background_path, s.fakeit.matrix.num_outputs()),
                     background_statistic, grouping);
}

std::vector<double> free_values_of(const fit::FitProblem& prob, const std::array<double, kNumParams>& theta) {
  const auto fp = prob.free_parameters();
  std::vector<double> v(fp.size());
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    const int k = prob.free_index(kModelParams[p]);
    v[k] = std::clamp(theta[p], fp[k].hard_min, fp[k].hard_max);
  }
  return v;
}

double reduced_statistic(const fit::FitProblem& prob, const std::array<double, kNumParams>& theta) {
  const double stat = prob.statistic(free_values_of(prob, theta));
  return fit::reduced_statistic(stat, fit::degrees_of_freedom(prob.data(), prob.num_free()));
}

fit::FitResult fit_problem(fit::FitProblem& prob, int max_iterations, std::array<double, kNumParams>& theta,
                           const std::array<double, kNumParams>* start) {
  if (start) prob.set_free_values(free_values_of(prob, *start));
  fit::FitOptions fo;
  fo.max_iterations = max_iterations;
  fo.errors = false;
  fit::FitResult r = fit::fit_model(prob, fo);
  for (std::int64_t p = 0; p < kNumParams; ++p) theta[p] = r.values[prob.free_index(kModelParams[p])];
  return r;
}

SpectrumPosterior::SpectrumPosterior(std::shared_ptr<const fit::FitProblem> problem, const PriorBox& box)
    : problem_(std::move(problem)), box_(box) {
  SPECNET_CHECK(problem_ != nullptr, "bhb spectrum posterior: no fit problem");
  SPECNET_CHECK(problem_->num_free() == kNumParams, "bhb spectrum posterior: the problem has ", problem_->num_free(),
                " free parameters, expected the ", kNumParams, " of ", kModelExpression);
  for (std::int64_t p = 0; p < kNumParams; ++p) free_slot_[p] = problem_->free_index(kModelParams[p]);
}

SpectrumPosterior::Scratch SpectrumPosterior::make_scratch() const {
  return Scratch{problem_->make_scratch(), std::vector<double>(kNumParams)};
}

double SpectrumPosterior::log_prob(const double* u, Scratch& sc) const {
  constexpr double kMinusInf = -std::numeric_limits<double>::infinity();
  if (!box_to_free(box_, free_slot_, u, sc.free)) return kMinusInf;
  try {
    const double stat = problem_->statistic(sc.fit, sc.free);
    return std::isfinite(stat) ? -0.5 * stat : kMinusInf;
  } catch (const Error&) {  // the model failed at this point (outside a hard limit, non-finite output)
    return kMinusInf;
  }
}

}  // namespace specnet::bhb
