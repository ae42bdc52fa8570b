// relu / elu / selu: autodiff wrappers over src/cpu/relu.cpp; match torch.nn.functional.relu, elu, selu.
#include "specnet/cpu/relu.h"

#include <cmath>

#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

Tensor relu(const Tensor& x) {
  return detail::unary_op(
      "relu", x, [](auto* out, const auto* in, std::int64_t n) { cpu::relu_forward(out, in, n); },
      [](auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        cpu::relu_backward(din, in, dout, n);
      });
}

static Tensor elu_scaled(const char* name, const Tensor& x, double alpha, double scale) {
  return detail::unary_op(
      name, x, [=](auto* out, const auto* in, std::int64_t n) { cpu::elu_forward(out, in, n, alpha, scale); },
      [=](auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        cpu::elu_backward(din, in, dout, n, alpha, scale);
      });
}

Tensor elu(const Tensor& x, double alpha) {
  SPECNET_CHECK(std::isfinite(alpha), "elu: alpha must be finite, got ", alpha);
  return elu_scaled("elu", x, alpha, 1.0);
}

Tensor selu(const Tensor& x) { return elu_scaled("selu", x, cpu::kSeluAlpha, cpu::kSeluScale); }

}  // namespace specnet
