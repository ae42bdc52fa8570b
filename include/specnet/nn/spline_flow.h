// nn::SplineFlow: conditional neural spline flow (Durkan et al. 2019) as built with nflows: T masked
// autoregressive rational-quadratic spline transforms (MaskedPiecewiseRationalQuadraticAutoregressiveTransform,
// tails="linear") with a variable-order reversal between consecutive transforms; standard-normal base unless
// SplineFlowOptions::base_scale / base_df set a scaled normal or a Student t.
#pragma once
#include <vector>

#include "specnet/cpu/rq_spline.h"
#include "specnet/nn/container.h"
#include "specnet/nn/made.h"
#include "specnet/rng.h"

namespace specnet::nn {

struct SplineFlowOptions {
  std::int64_t features = 5;                           // D
  std::int64_t context_features = 120;                 // C; 0 for an unconditional flow
  std::int64_t transforms = 10;                        // T
  std::vector<std::int64_t> hidden = {120, 120, 120};  // MADE hidden widths
  std::int64_t bins = 8;                               // K
  double tail_bound = 5.0;                             // splines act on [-B, B], identity outside
  double min_bin_width = 1e-3, min_bin_height = 1e-3, min_derivative = 1e-3;
  // The base distribution: N(0, s^2 I) with s = base_scale, or with base_df = nu > 0 the multivariate Student t of
  // nu degrees of freedom and scale s (heavier tails, the normal as nu -> inf). Trained flows have s = 1, nu = 0
  // (nflows' StandardNormal); a post-hoc calibration (bhb::fit_base_scale) changes them without touching the weights.
  double base_scale = 1.0;
  double base_df = 0.0;
};

// log density of the base at one point z of D features from its squared norm |z|^2 (s, nu as above): the base term
// of every sampler's log q.
double base_log_density(double z_squared, std::int64_t D, double s, double df = 0);
// Error unless s is finite and > 0 and df is 0 or finite and > 0.
void check_base(double s, double df);
// The Student-t base's radial factor sqrt(nu / W), W ~ chi^2_nu, for one draw: z = s * eps * factor with eps standard
// normal. Pure: uses blocks [first_block, first_block + kStudentTBlocks) of `rng` only (Marsaglia-Tsang gamma).
constexpr std::uint64_t kStudentTBlocks = 33;
double student_t_factor(const Rng& rng, std::uint64_t first_block, double df);

struct FlowSample {
  Tensor samples;   // (B, n, D)
  Tensor log_prob;  // (B, n)
};

// Transform t sees the variables in identity order for even t and reversed for odd t. Parameters are named
// "transforms.<t>.<MADE parameter>". All results are differentiable w.r.t. the inputs, context and parameters.
class SplineFlow : public Module {
 public:
  SplineFlow(const SplineFlowOptions& opt, Rng& rng, DType dtype = DType::f32);
  Tensor forward(const Tensor& theta) override;  // log_prob without context (context_features == 0)
  std::string type_name() const override { return "SplineFlow"; }

  // log q(theta | context): theta (..., D), context (..., C) with leading dims broadcastable to theta's
  // (e.g. theta (B, n, D) with context (B, 1, C)) -> (...). context undefined when context_features == 0.
  Tensor log_prob(const Tensor& theta, const Tensor& context);
  // Data -> noise: z (..., D) and the summed log|dz/dtheta| (...). Independent of the base.
  std::pair<Tensor, Tensor> to_noise(const Tensor& theta, const Tensor& context);
  // n reparameterised draws per context row: context (B, C) -> (B, n, D) (inverse pass, D MADE passes per
  // transform); with_log_prob also returns log q of each draw from the same pass. Without a context
  // (context_features == 0) pass batch B in `batch`.
  FlowSample rsample(std::int64_t n, const Tensor& context, Rng& rng, bool with_log_prob = false,
                     std::int64_t batch = 1);

  SplineFlowOptions options;

 private:
  // Spline of transform t on x_in with parameters MADE(x_cond, ctx_h); inverse selects the direction. With
  // feature >= 0 only that feature's spline runs (x_in is (..., 1)). Returns outputs and the log|det| summed.
  std::pair<Tensor, Tensor> spline(std::size_t t, const Tensor& x_in, const Tensor& x_cond, const Tensor& ctx_h,
                                   bool inverse, std::int64_t feature = -1);
  Tensor project(std::size_t t, const Tensor& context);
  cpu::RqSplineConfig config(bool inverse) const;
  std::vector<std::shared_ptr<Made>> nets_;
};

}  // namespace specnet::nn
