// The residual stage (not the paper's; docs/bhb.md, "Residual stage"): a second posterior network that sees the
// spectrum's Pearson residuals at the first network's estimate.
//
// Why: the first network reads log rates, in which a bright spectrum's Poisson information sits at ~1e-5 of the
// input's range, so its posteriors stop sharpening beyond ~1e8 counts (docs/results-bhb.md, twelfth session: 30 nats
// per spectrum from the exact posterior on the brightest quartile). The residuals (S_g - m_g) / sqrt(m_g) at the
// first estimate carry that information at O(1) whatever the brightness.
//
// What: per spectrum, the first network gives a centre c (the flow's image of the base's mode, moved into the prior
// box) and the covariance of kFirstDraws draws from fixed noise, Sigma = R R^T (R lower triangular), in its scaled
// space. The model is evaluated once at c (GroupModel). The second network reads the first's input channels, the
// residuals, c and R (log of its diagonal, its other entries over the marginal widths); its flow models the whitened
// u = R^-1 (theta - c), in which the first network's posterior is about standard normal whatever its scale and
// correlations. The posterior in the first network's scaled space is then theta = c + R u with
// log q(theta) = log q2(u) - sum_p log R_pp. Cost per spectrum: two encoder passes, 33 first-stage draws and one
// model evaluation besides the second network's draws. The first network's draws are float32: bf16's rounding is
// coarser than a bright spectrum's posterior.
//
// The step repeats: a chain (Chain below) of residual stages, each trained on the residuals at the estimate of the
// chain before it (stage_estimate) and modelling the parameters in that estimate's whitened frame. Each stage adds an
// encoder pass, 33 draws and a model evaluation per spectrum.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/bhb/network.h"
#include "specnet/bhb/train.h"

namespace specnet::bhb {

constexpr std::int64_t kFirstDraws = 32;     // first-stage draws per spectrum for the covariance
constexpr double kMinFirstWidth = 1e-6;      // added to the covariance's diagonal squared (scaled units)
constexpr double kResidualScale = 3.0;       // residual channel: asinh(r) / kResidualScale

// The first network's summary of each spectrum, in its scaled parameter space.
struct FirstEstimate {
  std::int64_t N = 0;
  std::vector<float> center;   // (N, P) inside the prior box
  std::vector<float> chol;     // (N, P, P) R, lower triangular with a positive diagonal (zeros above)
  double seconds = 0;          // encoder and draws
  double log_det(std::int64_t i) const;  // sum_p log R_pp of spectrum i
};
// The flow's base is taken as the standard normal here (a calibrated base does not change c or R). The same
// spectrum gets the same estimate whatever the set around it and the thread count.
FirstEstimate first_estimate(Network& first, const Scaling& scaling, const Dataset& data, const PriorBox& box);

class ResidualInputs;
// A residual stage's estimate, in the first network's scaled space, for the next stage of a chain: as first_estimate
// with the stage's draws mapped by its inputs' c + R u (the covariance as R cov(u) R^T, in double). Its draws are in
// the whitened u, where bf16's rounding (~0.4% of an O(1) u) is far finer than the posterior, so they take the
// sampler's automatic precision (bf16 on AMX: 5x faster than the first network's float32 draws).
constexpr FastFlowSampler::Precision kStagePrecision = FastFlowSampler::Precision::automatic;
FirstEstimate stage_estimate(Network& stage, const ResidualInputs& in, const PriorBox& box);

// Pearson residuals (S_g - m_g) / sqrt(max(m_g, 1)) of each spectrum at its centre (N, L), with m_g = GroupModel's
// means at c and S_g the group's counts recovered from the stored rate (rate * exposure * n_det * group width +
// bkg_ratio * B_g, B_g the simulation's background realisation). A centre where the model cannot be evaluated gets
// zero residuals and is counted in *failures. Error when the set's header does not match the simulation (bins,
// exposure, n_det).
std::vector<float> center_residuals(const Simulation& s, const Scaling& scaling, const Dataset& data,
                                    const FirstEstimate& e, std::int64_t* failures = nullptr, double* seconds = nullptr);

// The second network's input channels for a first scaling: its K1, the residuals, then c (P), log10 R_pp (P) and
// R_pq / sqrt(Sigma_pp) for q < p (P (P - 1) / 2), each constant along the bins.
inline std::int64_t residual_channels(const Scaling& s) {
  return s.channels() + 1 + 2 * kNumParams + kNumParams * (kNumParams - 1) / 2;
}

// One set's batches for the second network: x (n, K, L) as residual_channels, theta (n, P) = u = R^-1 (theta - c).
// Holds references to the set, the scaling and its own copies of the estimate and residuals.
class ResidualInputs {
 public:
  ResidualInputs(const Scaling& scaling, const Dataset& set, FirstEstimate estimate, std::vector<float> residuals);
  void make(const std::int64_t* rows, std::int64_t n, float* x, float* theta) const;
  BatchMaker maker() const;
  // The whitened targets u (N, P) of the whole set without its inputs; NaN for unlabelled spectra.
  std::vector<float> targets() const;
  std::int64_t channels() const { return residual_channels(*scaling_); }
  std::int64_t bins() const { return set_->header.bins; }
  const Scaling& scaling() const { return *scaling_; }
  const FirstEstimate& estimate() const { return est_; }

 private:
  const Scaling* scaling_;
  const Dataset* set_;
  FirstEstimate est_;
  std::vector<float> residuals_;  // (N, L)
  // u = R^-1 (t - c) of spectrum `row` by forward substitution: t (P) scaled targets -> u (P).
  void whiten(std::int64_t row, const float* t, float* u) const;
};

// A chain of posterior networks: the first network, then residual stages, each trained on the estimates of the
// chain before it (docs/bhb.md, "Residual stage"). The networks are not owned.
using Chain = std::vector<Network*>;

// The inputs of the stage after `chain` for one set: first_estimate of chain[0], then for each residual stage its
// stage_estimate at the inputs before it, each with center_residuals at the estimate. progress prints a line per
// stage.
ResidualInputs residual_inputs(const Chain& chain, const Scaling& scaling, const Simulation& s, const Dataset& set,
                               bool progress = false);
inline ResidualInputs residual_inputs(Network& first, const Scaling& scaling, const Simulation& s, const Dataset& set,
                                      bool progress = false) {
  return residual_inputs(Chain{&first}, scaling, s, set, progress);
}

// A digest of a network's weights (names, shapes, values; hex text), which a residual stage's checkpoint keeps under
// "residual.first" so that it is only ever paired with the network it was trained on: the first network, or for a
// later stage the residual stage before it (each of which is itself paired, so the whole chain is checked).
std::string weights_digest(Network& net);
// Error unless `second_metadata` names `first`, the network before it in the chain (load_checkpoint's extra entries).
void check_residual_pair(Network& first, const std::map<std::string, std::string>& second_metadata,
                         const std::string& second_path);
// Whether a checkpoint's metadata is a residual stage's.
bool is_residual_stage(const std::map<std::string, std::string>& metadata);

// The posterior of a set from a chain (the first network and at least one residual stage) in the first network's
// scaled space (Posterior as sample_posterior's, so that every metric of evaluate.h applies): n draws per spectrum
// from the last stage (at `precision`, its own flow base), mapped to c + R u with the estimate of the chain before it.
// seconds_encode holds the earlier stages, the residuals and the last encoder. With truth_density false, truth and
// truth_log_q stay empty (what a timing of the draws alone wants).
Posterior residual_posterior(const Chain& chain, const Scaling& scaling, const Simulation& s, const Dataset& data,
                             std::int64_t n, std::uint64_t seed,
                             FastFlowSampler::Precision precision = FastFlowSampler::Precision::f32,
                             bool truth_density = true);
inline Posterior residual_posterior(Network& first, Network& second, const Scaling& scaling, const Simulation& s,
                                    const Dataset& data, std::int64_t n, std::uint64_t seed,
                                    FastFlowSampler::Precision precision = FastFlowSampler::Precision::f32,
                                    bool truth_density = true) {
  return residual_posterior(Chain{&first, &second}, scaling, s, data, n, seed, precision, truth_density);
}

}  // namespace specnet::bhb
