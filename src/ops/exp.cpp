// exp / log: autodiff wrappers over src/cpu/exp.cpp; match torch.exp, torch.log.
#include "specnet/cpu/exp.h"

#include "specnet/ops/math.h"
#include "unary_op.h"

namespace specnet {

Tensor exp(const Tensor& x) {
  return detail::unary_op(
      "exp", x, [](auto* out, const auto* in, std::int64_t n) { cpu::exp_forward(out, in, n); },
      [](auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        cpu::exp_backward(din, out, dout, n);
      });
}

Tensor log(const Tensor& x) {
  return detail::unary_op(
      "log", x, [](auto* out, const auto* in, std::int64_t n) { cpu::log_forward(out, in, n); },
      [](auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        cpu::log_backward(din, in, dout, n);
      });
}

}  // namespace specnet
