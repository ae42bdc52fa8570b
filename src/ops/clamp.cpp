// clamp(x, min, max): autodiff wrapper over src/cpu/clamp.cpp; matches torch.clamp with scalar bounds.
// Bounds default to -inf / +inf, so clamp(x, lo) and clamp(x, -inf, hi) are clamp_min / clamp_max.
#include "specnet/cpu/clamp.h"
#include "specnet/cuda/clamp.h"

#include <cmath>

#include "specnet/ops/math.h"
#include "unary_op.h"

namespace specnet {

Tensor clamp(const Tensor& x, double min, double max) {
  SPECNET_CHECK(!std::isnan(min) && !std::isnan(max), "clamp: bounds must not be NaN (min ", min, ", max ", max, ")");
  return detail::unary_op(
      "clamp", x,
      [=](Device d, auto* out, const auto* in, std::int64_t n) {
        SPECNET_KERNEL(d, clamp_forward, out, in, n, min, max);
      },
      [=](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, clamp_backward, din, in, dout, n, min, max);
      });
}

}  // namespace specnet
