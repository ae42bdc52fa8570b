// relu(x): autodiff wrapper over src/cpu/relu.cpp; matches torch.nn.functional.relu.
// Element-wise: the shared unary plumbing (src/ops/unary_op.h) allocates, dispatches and records backward.
#include "specnet/cpu/relu.h"
#include "specnet/cuda/relu.h"

#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

Tensor relu(const Tensor& x) {
  return detail::unary_op(
      "relu", x,
      [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, relu_forward, out, in, n); },
      [](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, relu_backward, din, in, dout, n);
      });
}

}  // namespace specnet
