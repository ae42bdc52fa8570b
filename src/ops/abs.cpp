// abs(x): autodiff wrapper over src/cpu/abs.cpp; matches torch.abs.
// Element-wise: the shared unary plumbing (src/ops/unary_op.h) allocates, dispatches and records backward.
#include "specnet/cpu/abs.h"
#include "specnet/cuda/abs.h"

#include "specnet/ops/math.h"
#include "unary_op.h"

namespace specnet {

Tensor abs(const Tensor& x) {
  return detail::unary_op(
      "abs", x, [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, abs_forward, out, in, n); },
      [](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, abs_backward, din, in, dout, n);
      });
}

}  // namespace specnet
