// add with broadcasting: autodiff wrapper over src/cpu/add.cpp (torch.add); the gradient of each
// operand is dout summed back to the operand's shape.
#include "specnet/cpu/add.h"
#include "specnet/cuda/add.h"

#include "binary_op.h"
#include "specnet/ops/arith.h"

namespace specnet {

Tensor add(const Tensor& a, const Tensor& b) {
  return detail::binary_op(
      "add", a, b, false,
      [](Device d, auto* out, const auto* x, const auto* y, const auto& p) {
        SPECNET_KERNEL(d, add_forward, out, x, y, p);
      },
      [](const Tensor& dout, const Tensor& x, const Tensor& y, const cpu::BroadcastPlan&) {
        detail::accumulate_reduced(x, dout, 1.0);
        detail::accumulate_reduced(y, dout, 1.0);
      });
}

}  // namespace specnet
