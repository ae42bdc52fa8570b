// div (true division) with broadcasting: autodiff wrapper over src/cpu/div.cpp (torch.div); gradients
// are formed at the output shape and summed back to each operand's shape.
#include "specnet/cpu/div.h"
#include "specnet/cuda/div.h"

#include "binary_op.h"
#include "specnet/ops/arith.h"

namespace specnet {

Tensor div(const Tensor& a, const Tensor& b) {
  return detail::valued_binary_op(
      "div", a, b,
      [](Device d, auto* out, const auto* x, const auto* y, const auto& p) {
        SPECNET_KERNEL(d, div_forward, out, x, y, p);
      },
      [](Device d, auto* dx, auto* dy, const auto* dout, const auto* x, const auto* y, const auto& p) {
        SPECNET_KERNEL(d, div_backward, dx, dy, dout, x, y, p);
      });
}

}  // namespace specnet
