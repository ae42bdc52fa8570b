// nn::SplineFlow: nflows' Flow(CompositeTransform([MaskedPiecewiseRQAutoregressiveTransform, ReversePermutation,
// ...]), StandardNormal) with a context; log_prob is one pass per transform, sampling inverts feature by feature.
#include "specnet/nn/spline_flow.h"

#include <cmath>

#include "specnet/ops/arith.h"
#include "specnet/ops/concat.h"
#include "specnet/ops/math.h"
#include "specnet/ops/reduce.h"
#include "specnet/ops/spline.h"

namespace specnet::nn {
namespace {

// Reverses the last dimension (nflows' ReversePermutation); its own inverse.
Tensor reverse_features(const Tensor& x) {
  const std::int64_t last = x.dim() - 1, D = x.size(last);
  if (D == 1) return x;
  std::vector<Tensor> parts;
  for (std::int64_t i = D - 1; i >= 0; --i) parts.push_back(x.slice(last, i, i + 1));
  return concat(parts, last);
}

// The base's log density summed over the last dimension (base_log_density on tensors, differentiable in z).
Tensor base_log_prob(const Tensor& z, double s, double df) {
  check_base(s, df);
  const Tensor r2 = sum(z * z, {z.dim() - 1});
  const double at_0 = base_log_density(0, z.size(-1), s, df);
  if (df == 0) return r2 * (-0.5 / (s * s)) + at_0;
  return log(r2 * (1 / (df * s * s)) + 1.0) * (-0.5 * (df + double(z.size(-1)))) + at_0;
}

}  // namespace

double base_log_density(double z_squared, std::int64_t D, double s, double df) {
  constexpr double kLogSqrt2Pi = 0.91893853320467274178, kLogPi = 1.14472988584940017414;
  if (df == 0) return -0.5 * z_squared / (s * s) - double(D) * (std::log(s) + kLogSqrt2Pi);
  const double h = 0.5 * (df + double(D));
  return std::lgamma(h) - std::lgamma(0.5 * df) - 0.5 * double(D) * (std::log(df) + kLogPi) - double(D) * std::log(s) -
         h * std::log1p(z_squared / (df * s * s));
}

void check_base(double s, double df) {
  SPECNET_CHECK(s > 0 && std::isfinite(s), "SplineFlow: base_scale must be finite and > 0, got ", s);
  SPECNET_CHECK(df == 0 || (df > 0 && std::isfinite(df)),
                "SplineFlow: base_df must be 0 (normal base) or finite and > 0, got ", df);
}

double student_t_factor(const Rng& rng, std::uint64_t first_block, double df) {
  // W = 2 G, G ~ Gamma(a = nu / 2) by Marsaglia and Tsang (2000); for a < 1, G = Gamma(a + 1) * U^(1 / a). Attempt k
  // uses block first + 1 + 2k for its normal and first + 2 + 2k for its uniform: 16 attempts, each accepted with
  // probability > 0.95 for a + 1 >= 1, so the fallback (the gamma's mean) is never reached in practice.
  const double a = 0.5 * df, shape = a < 1 ? a + 1 : a, d = shape - 1.0 / 3.0, c = 1 / std::sqrt(9 * d);
  double g = shape;
  for (std::uint64_t k = 0; k < (kStudentTBlocks - 1) / 2; ++k) {
    const double x = Rng::normal_from(rng.block(first_block + 1 + 2 * k));
    const double t = 1 + c * x;
    if (t <= 0) continue;
    const double v = t * t * t, u = Rng::uniform_from(rng.block(first_block + 2 + 2 * k));
    if (u > 0 && std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) {
      g = d * v;
      break;
    }
  }
  if (a < 1) g *= std::pow(std::max(Rng::uniform_from(rng.block(first_block)), 1e-300), 1 / a);
  return std::sqrt(df / (2 * std::max(g, 1e-300)));
}

SplineFlow::SplineFlow(const SplineFlowOptions& opt, Rng& rng, DType dtype) : options(opt) {
  SPECNET_CHECK(opt.features > 0 && opt.transforms > 0 && opt.bins >= 2 && opt.context_features >= 0,
                "SplineFlow: need features > 0, transforms > 0, bins >= 2, context_features >= 0 (got ", opt.features,
                ", ", opt.transforms, ", ", opt.bins, ", ", opt.context_features, ")");
  SPECNET_CHECK(!opt.hidden.empty(), "SplineFlow: the MADE needs at least one hidden layer");
  SPECNET_CHECK(opt.tail_bound > 0 && opt.min_bin_width * opt.bins < 1 && opt.min_bin_height * opt.bins < 1 &&
                    opt.min_derivative > 0 && opt.min_derivative < 1,
                "SplineFlow: invalid spline settings (tail_bound ", opt.tail_bound, ", min sizes ", opt.min_bin_width,
                "/", opt.min_bin_height, " for ", opt.bins, " bins, min_derivative ", opt.min_derivative, ")");
  check_base(opt.base_scale, opt.base_df);
  MadeOptions m;
  m.features = opt.features;
  m.hidden = opt.hidden;
  m.context_features = opt.context_features;
  m.output_multiplier = 3 * opt.bins - 1;  // K widths, K heights, K-1 inner slopes
  auto list = std::make_shared<Sequential>();
  for (std::int64_t t = 0; t < opt.transforms; ++t) {
    nets_.push_back(std::make_shared<Made>(m, rng, dtype));
    list->push_back(nets_.back());
  }
  register_module("transforms", list);
}

cpu::RqSplineConfig SplineFlow::config(bool inverse) const {
  cpu::RqSplineConfig c;
  c.tail_bound = options.tail_bound;
  c.min_bin_width = options.min_bin_width;
  c.min_bin_height = options.min_bin_height;
  c.min_derivative = options.min_derivative;
  c.inverse = inverse;
  return c;
}

Tensor SplineFlow::project(std::size_t t, const Tensor& context) {
  if (options.context_features == 0) {
    SPECNET_CHECK(!context.defined(), "SplineFlow: built without context, but a context was given");
    return Tensor();
  }
  SPECNET_CHECK(context.defined(), "SplineFlow: a context (..., ", options.context_features, ") is required");
  return nets_[t]->project_context(context);
}

std::pair<Tensor, Tensor> SplineFlow::spline(std::size_t t, const Tensor& x_in, const Tensor& x_cond,
                                             const Tensor& ctx_h, bool inverse, std::int64_t feature) {
  const std::int64_t K = options.bins;
  Shape s = x_in.shape();
  s.push_back(3 * K - 1);
  Tensor p = nets_[t]->forward_projected(x_cond, ctx_h, feature).reshape(s);  // (..., D or 1, 3K-1)
  const std::int64_t last = p.dim() - 1;
  // As nflows: widths and heights are scaled by 1/sqrt(hidden_features) before the softmax.
  const double scale = 1.0 / std::sqrt(double(options.hidden.back()));
  SplineResult r = rq_spline(x_in, p.slice(last, 0, K) * scale, p.slice(last, K, 2 * K) * scale,
                             p.slice(last, 2 * K, 3 * K - 1), config(inverse));
  return {r.outputs, sum(r.logabsdet, {r.logabsdet.dim() - 1})};
}

std::pair<Tensor, Tensor> SplineFlow::to_noise(const Tensor& theta, const Tensor& context) {
  SPECNET_CHECK(theta.defined() && theta.dim() >= 1 && theta.size(-1) == options.features,
                "SplineFlow: theta must be (..., ", options.features, "), got ",
                theta.defined() ? shape_str(theta.shape()) : std::string("undefined"));
  Tensor x = theta, logdet;
  for (std::size_t t = 0; t < nets_.size(); ++t) {
    if (t > 0) x = reverse_features(x);
    auto [y, ld] = spline(t, x, x, project(t, context), false);
    x = y;
    logdet = logdet.defined() ? logdet + ld : ld;
  }
  return {x, logdet};
}

Tensor SplineFlow::log_prob(const Tensor& theta, const Tensor& context) {
  auto [z, logdet] = to_noise(theta, context);
  return base_log_prob(z, options.base_scale, options.base_df) + logdet;
}

Tensor SplineFlow::forward(const Tensor& theta) { return log_prob(theta, Tensor()); }

FlowSample SplineFlow::rsample(std::int64_t n, const Tensor& context, Rng& rng, bool with_log_prob,
                               std::int64_t batch) {
  SPECNET_CHECK(n > 0, "SplineFlow::rsample: number of draws must be positive, got ", n);
  Tensor ctx;
  std::int64_t B = batch;
  const Tensor p0 = nets_[0]->named_parameters()[0].second;  // follows to(dtype) and to(device)
  const DType dtype = p0.dtype();
  const Device device = p0.device();
  if (options.context_features > 0) {
    SPECNET_CHECK(context.defined() && context.dim() == 2 && context.size(1) == options.context_features,
                  "SplineFlow::rsample: context must be (B, ", options.context_features, "), got ",
                  context.defined() ? shape_str(context.shape()) : std::string("undefined"));
    B = context.size(0);
    ctx = context.unsqueeze(1);  // (B, 1, C): one context projection shared by the n draws
  } else {
    SPECNET_CHECK(!context.defined(), "SplineFlow::rsample: built without context, but a context was given");
    SPECNET_CHECK(B > 0, "SplineFlow::rsample: batch must be positive, got ", B);
  }
  const std::int64_t D = options.features;
  // (B, n, D), drawn on the host so that both devices sample the same noise for one Rng
  Tensor z = Tensor::randn({B, n, D}, rng, dtype);
  check_base(options.base_scale, options.base_df);
  if (options.base_df > 0) {  // each draw's normal times its radial factor (blocks reserved after the normals)
    const std::uint64_t first = rng.reserve(static_cast<std::uint64_t>(B * n) * kStudentTBlocks);
    std::vector<double> f(B * n);  // (B, n)
    for (std::int64_t i = 0; i < B * n; ++i)
      f[i] = options.base_scale * student_t_factor(rng, first + i * kStudentTBlocks, options.base_df);
    z = z * Tensor::from_vector(f, {B, n, 1}, dtype);
  } else if (options.base_scale != 1) {
    z = z * options.base_scale;
  }
  z = z.to(device);
  FlowSample out;
  Tensor logdet;  // log|d theta / d z| summed
  Tensor x = z;
  for (std::size_t t = nets_.size(); t-- > 0;) {
    Tensor ctx_h = project(t, ctx);
    // Invert y = spline(x; MADE(x)) one feature at a time: the parameters of feature i depend only on features
    // < i, so pass i feeds the MADE the i finished features (zeros after them) and inverts feature i alone.
    // The result is the exact inverse, and the graph through the passes gives its exact gradient.
    std::vector<Tensor> done;  // finished features, (B, n, 1) each
    for (std::int64_t i = 0; i < D; ++i) {
      std::vector<Tensor> parts = done;
      parts.push_back(Tensor::zeros({B, n, D - i}, dtype, device));
      auto r = spline(t, x.slice(2, i, i + 1), concat(parts, 2), ctx_h, true, i);
      done.push_back(r.first);
      logdet = logdet.defined() ? logdet + r.second : r.second;
    }
    x = concat(done, 2);
    if (t > 0) x = reverse_features(x);
  }
  out.samples = x;
  if (with_log_prob) out.log_prob = base_log_prob(z, options.base_scale, options.base_df) - logdet;
  return out;
}

}  // namespace specnet::nn
