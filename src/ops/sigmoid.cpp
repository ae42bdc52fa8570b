// sigmoid / tanh: autodiff wrappers over src/cpu/sigmoid.cpp; match torch.sigmoid, torch.tanh.
#include "specnet/cpu/sigmoid.h"

#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

Tensor sigmoid(const Tensor& x) {
  return detail::unary_op(
      "sigmoid", x, [](auto* out, const auto* in, std::int64_t n) { cpu::sigmoid_forward(out, in, n); },
      [](auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        cpu::sigmoid_backward(din, out, dout, n);
      });
}

Tensor tanh(const Tensor& x) {
  return detail::unary_op(
      "tanh", x, [](auto* out, const auto* in, std::int64_t n) { cpu::tanh_forward(out, in, n); },
      [](auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        cpu::tanh_backward(din, out, dout, n);
      });
}

}  // namespace specnet
