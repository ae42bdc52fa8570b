// sqrt(x): autodiff wrapper over src/cpu/sqrt.cpp; matches torch.sqrt.
// Element-wise: the shared unary plumbing (src/ops/unary_op.h) allocates, dispatches and records backward.
#include "specnet/cpu/sqrt.h"
#include "specnet/cuda/sqrt.h"

#include "specnet/ops/math.h"
#include "unary_op.h"

namespace specnet {

Tensor sqrt(const Tensor& x) {
  return detail::unary_op(
      "sqrt", x,
      [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, sqrt_forward, out, in, n); },
      [](Device d, auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, sqrt_backward, din, out, dout, n);
      });
}

}  // namespace specnet
