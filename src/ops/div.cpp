// div (true division) with broadcasting: autodiff wrapper over src/cpu/div.cpp (torch.div); gradients are formed at the
// output shape and summed back to each operand's shape.
#include "specnet/cpu/div.h"

#include "binary_op.h"
#include "specnet/ops/arith.h"

namespace specnet {

Tensor div(const Tensor& a, const Tensor& b) {
  return detail::binary_op(
      "div", a, b, true, [](auto* out, const auto* x, const auto* y, const auto& p) { cpu::div_forward(out, x, y, p); },
      [](const Tensor& dout, const Tensor& x, const Tensor& y, const cpu::BroadcastPlan& p) {
        Tensor dx = detail::grad_target(x, dout.shape()), dy = detail::grad_target(y, dout.shape());
        SPECNET_DISPATCH_FLOAT(dout.dtype(), T, {
          cpu::div_backward<T>(dx.defined() ? dx.data<T>() : nullptr, dy.defined() ? dy.data<T>() : nullptr,
                               dout.data<T>(), x.data<T>(), y.data<T>(), p);
        });
        detail::finish_grad_target(x, dx);
        detail::finish_grad_target(y, dy);
      });
}

}  // namespace specnet
