// log(x): autodiff wrapper over src/cpu/log.cpp; matches torch.log.
// Element-wise: the shared unary plumbing (src/ops/unary_op.h) allocates, dispatches and records backward.
#include "specnet/cpu/log.h"
#include "specnet/cuda/log.h"

#include "specnet/ops/math.h"
#include "unary_op.h"

namespace specnet {

Tensor log(const Tensor& x) {
  return detail::unary_op(
      "log", x, [](Device d, auto* out, const auto* in, std::int64_t n) { SPECNET_KERNEL(d, log_forward, out, in, n); },
      [](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, log_backward, din, in, dout, n);
      });
}

}  // namespace specnet
