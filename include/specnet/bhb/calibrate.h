// Post-hoc calibration of the posterior network: the flow's base distribution (its scale s, a temperature, and for
// a Student-t base its degrees of freedom nu) fitted on labelled spectra that played no part in training (a
// calibration set), the weights untouched. s > 1 widens every posterior, s < 1 narrows it; the map from base noise to
// parameters is unchanged. A network that overfits its training spectra ends over-confident (docs/results-bhb.md,
// tenth session); this is the classifier world's temperature scaling (Guo et al. 2017) carried to a flow.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/bhb/network.h"

namespace specnet::bhb {

// The base family fitted: normal N(0, s^2 I), or the multivariate Student t (scale s, nu degrees of freedom), whose
// sharper core and heavier tails fit a network that is too wide on most spectra and misses a few (the tenth
// session's coverage curve: above the diagonal at low levels, below it at high ones).
enum class BaseFamily { normal, student_t };
BaseFamily parse_base_family(const std::string& name);  // "normal" | "t"; Error otherwise
const char* base_family_name(BaseFamily f);
// nll: maximum likelihood of the truths (s in closed form for the normal; s by EM and nu by a golden-section search
// for the t). coverage: nu as nll finds it, then the s whose HPD coverage curve lies closest to the diagonal
// (largest |coverage - level| over credible_levels(), the criterion), by a scan with common noise.
enum class CalibrationObjective { nll, coverage };
CalibrationObjective parse_calibration_objective(const std::string& name);  // "nll" | "coverage"; Error otherwise
const char* calibration_objective_name(CalibrationObjective o);

// The truths seen from the base: per spectrum |z*|^2 and log|dz/dtheta| at the scaled target, which do not depend
// on the base. D is the number of parameters.
struct TruthNoise {
  std::int64_t D = 0;
  std::vector<double> z_squared, logdet;  // (N), (N)
};
// context (N, C) from encode_all. Error for an unlabelled spectrum (NaN parameters).
TruthNoise truth_noise(Network& net, const Scaling& scaling, const Dataset& data, const std::vector<float>& context);
// The same for given targets theta (N, P) in the flow's own space (the residual stage's whitened u).
TruthNoise truth_noise(Network& net, const std::vector<float>& theta, const std::vector<float>& context);
// log q(truth | x) of each spectrum (N) with base scale s and degrees of freedom df (0: normal).
std::vector<double> truth_log_q(const TruthNoise& t, double s, double df = 0);
// Mean -log q(truth | x) over the spectra with base scale s and degrees of freedom df (0: normal).
double mean_nll(const TruthNoise& t, double s, double df = 0);

struct BaseParams {
  double scale = 1, df = 0;  // as SplineFlowOptions::base_scale, base_df
};
// Maximum-likelihood base of a family: normal s = sqrt(mean |z*|^2 / D); for the t, nu in [0.5, 1000] and its s,
// or the normal when that fits better (nu -> inf). Error for an empty set.
BaseParams ml_base(const TruthNoise& t, BaseFamily family);

struct CalibrationOptions {
  BaseFamily family = BaseFamily::student_t;
  CalibrationObjective objective = CalibrationObjective::nll;
  std::int64_t samples = 256;  // draws per spectrum for the coverage curves
  std::uint64_t seed = 0;      // their noise, common to every base tried
  double min_scale = 0.25, max_scale = 4;  // the coverage scan's range
  FastFlowSampler::Precision precision = FastFlowSampler::Precision::automatic;
};
struct BaseScaleFit {
  BaseFamily family = BaseFamily::student_t;
  CalibrationObjective objective = CalibrationObjective::nll;
  BaseParams before, after;                       // the network's base, and the fitted one
  double nll_before = 0, nll = 0;                 // mean -log q(truth | x) with each
  std::vector<double> levels;                     // credible_levels()
  std::vector<double> coverage_before, coverage;  // (levels) with each
  double deviation_before = 0, deviation = 0;     // largest |coverage - level|
  std::vector<std::pair<double, double>> scan;    // coverage objective: (s, deviation) of every s tried, ascending s
};
// Fits the base on `data` (all labelled); the network is left as it was (apply the result with set_base).
BaseScaleFit fit_base_scale(Network& net, const Scaling& scaling, const Dataset& data, const CalibrationOptions& o = {});
// The same from the set's contexts (N, C) and its truths seen from the base (truth_noise): the residual stage's.
BaseScaleFit fit_base_scale(Network& net, const std::vector<float>& context, const TruthNoise& truths,
                            const CalibrationOptions& o = {});

// "flow base N(0, I) (as trained)", or the calibrated base's family and parameters: for report headers.
std::string base_description(const nn::SplineFlowOptions& o);

// Sets the flow's base in the network and in its config (so that checkpoints written from it keep it).
void set_base(Network& net, const BaseParams& base);

// Copies checkpoint `in` to `out` (atomically) with the network's base set: every tensor and every other metadata
// entry unchanged, and `note` stored as "user.calibration" when not empty.
void write_calibrated_checkpoint(const std::string& in, const std::string& out, const BaseParams& base,
                                 const std::string& note);

}  // namespace specnet::bhb
