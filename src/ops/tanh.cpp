// tanh(x): autodiff wrapper over src/cpu/tanh.cpp; matches torch.tanh.
// Element-wise: the shared unary plumbing (src/ops/unary_op.h) allocates, dispatches and records backward.
#include "specnet/cpu/tanh.h"
#include "specnet/cuda/tanh.h"

#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

Tensor tanh(const Tensor& x) {
  return detail::unary_op(
      "tanh", x,
      [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, tanh_forward, out, in, n); },
      [](Device d, auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, tanh_backward, din, out, dout, n);
      });
}

}  // namespace specnet
