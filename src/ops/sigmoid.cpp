// sigmoid(x): autodiff wrapper over src/cpu/sigmoid.cpp; matches torch.sigmoid.
// Element-wise: the shared unary plumbing (src/ops/unary_op.h) allocates, dispatches and records backward.
#include "specnet/cpu/sigmoid.h"
#include "specnet/cuda/sigmoid.h"

#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

Tensor sigmoid(const Tensor& x) {
  return detail::unary_op(
      "sigmoid", x,
      [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, sigmoid_forward, out, in, n); },
      [](Device d, auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, sigmoid_backward, din, out, dout, n);
      });
}

}  // namespace specnet
