// div (true division) with broadcasting: autodiff wrapper over src/cpu/div.cpp (torch.div); gradients
// are formed at the output shape and summed back to each operand's shape.
#include "specnet/cpu/div.h"

#include "binary_op.h"
#include "specnet/ops/arith.h"

namespace specnet {

Tensor div(const Tensor& a, const Tensor& b) {
  return detail::valued_binary_op(
      "div", a, b, [](auto* out, const auto* x, const auto* y, const auto& p) { cpu::div_forward(out, x, y, p); },
      [](auto* dx, auto* dy, const auto* dout, const auto* x, const auto* y, const auto& p) {
        cpu::div_backward(dx, dy, dout, x, y, p);
      });
}

}  // namespace specnet
