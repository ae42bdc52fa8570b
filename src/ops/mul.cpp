// mul with broadcasting: autodiff wrapper over src/cpu/mul.cpp (torch.mul); gradients are formed at the
// output shape and summed back to each operand's shape.
#include "specnet/cpu/mul.h"
#include "specnet/cuda/mul.h"

#include "binary_op.h"
#include "specnet/ops/arith.h"

namespace specnet {

Tensor mul(const Tensor& a, const Tensor& b) {
  return detail::valued_binary_op(
      "mul", a, b,
      [](Device d, auto* out, const auto* x, const auto* y, const auto& p) {
        SPECNET_KERNEL(d, mul_forward, out, x, y, p);
      },
      [](Device d, auto* dx, auto* dy, const auto* dout, const auto* x, const auto* y, const auto& p) {
        SPECNET_KERNEL(d, mul_backward, dx, dy, dout, x, y, p);
      });
}

}  // namespace specnet
