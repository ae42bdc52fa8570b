// exp(x): autodiff wrapper over src/cpu/exp.cpp; matches torch.exp.
// Element-wise: the shared unary plumbing (src/ops/unary_op.h) allocates, dispatches and records backward.
#include "specnet/cpu/exp.h"
#include "specnet/cuda/exp.h"

#include "specnet/ops/math.h"
#include "unary_op.h"

namespace specnet {

Tensor exp(const Tensor& x) {
  return detail::unary_op(
      "exp", x, [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, exp_forward, out, in, n); },
      [](Device d, auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, exp_backward, din, out, dout, n);
      });
}

}  // namespace specnet
