// elu(x, alpha) / selu(x): autodiff wrappers over src/cpu/elu.cpp; match torch.nn.functional.elu and
// selu (selu = scale * elu(x, alpha) with the self-normalising constants).
#include "specnet/cpu/elu.h"
#include "specnet/cuda/elu.h"

#include <cmath>

#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

static Tensor elu_scaled(const char* name, const Tensor& x, double alpha, double scale) {
  return detail::unary_op(
      name, x,
      [=](Device d, auto* out, const auto* in, std::int64_t n) {
        SPECNET_KERNEL(d, elu_forward, out, in, n, alpha, scale);
      },
      [=](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, elu_backward, din, in, dout, n, alpha, scale);
      });
}

Tensor elu(const Tensor& x, double alpha) {
  SPECNET_CHECK(std::isfinite(alpha), "elu: alpha must be finite, got ", alpha);
  return elu_scaled("elu", x, alpha, 1.0);
}

Tensor selu(const Tensor& x) { return elu_scaled("selu", x, cpu::kSeluAlpha, cpu::kSeluScale); }

}  // namespace specnet
