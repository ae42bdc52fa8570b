// sub with broadcasting: autodiff wrapper over src/cpu/sub.cpp (torch.sub); the gradient of each
// operand is +-dout summed back to the operand's shape.
#include "specnet/cpu/sub.h"
#include "specnet/cuda/sub.h"

#include "binary_op.h"
#include "specnet/ops/arith.h"

namespace specnet {

Tensor sub(const Tensor& a, const Tensor& b) {
  return detail::binary_op(
      "sub", a, b, false,
      [](Device d, auto* out, const auto* x, const auto* y, const auto& p) {
        SPECNET_KERNEL(d, sub_forward, out, x, y, p);
      },
      [](const Tensor& dout, const Tensor& x, const Tensor& y, const cpu::BroadcastPlan&) {
        detail::accumulate_reduced(x, dout, 1.0);
        detail::accumulate_reduced(y, dout, -1.0);
      });
}

}  // namespace specnet
