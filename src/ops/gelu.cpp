// gelu(x): autodiff wrapper over src/cpu/gelu.cpp; matches torch.nn.functional.gelu.
#include "specnet/cpu/gelu.h"

#include "specnet/cuda/gelu.h"
#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

Tensor gelu(const Tensor& x, bool tanh_approximation) {
  if (tanh_approximation)
    return detail::unary_op(
        "gelu_tanh", x,
        [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, gelu_tanh_forward, out, in, n); },
        [](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
          SPECNET_KERNEL(d, gelu_tanh_backward, din, in, dout, n);
        });
  return detail::unary_op(
      "gelu", x,
      [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, gelu_forward, out, in, n); },
      [](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, gelu_backward, din, in, dout, n);
      });
}

}  // namespace specnet
