// mse_loss(input, target, reduction): fused autodiff wrapper over src/cpu/mse_loss.cpp, matching
// torch.nn.functional.mse_loss (same shapes required; both input and target get gradients).
#include "specnet/cpu/mse_loss.h"

#include "loss_reduction.h"
#include "specnet/autograd.h"

namespace specnet {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_cpu("mse_loss", input);
  check_cpu("mse_loss", target);
  check_same_dtype("mse_loss", input, target);
  SPECNET_CHECK(input.shape() == target.shape(), "mse_loss: input shape ", shape_str(input.shape()),
                " != target shape ", shape_str(target.shape()));
  Tensor x = input.contiguous(), t = target.contiguous();
  const std::int64_t n = x.numel();
  const double scale = detail::loss_scale(reduction, n);
  Tensor out = Tensor::empty(detail::loss_shape(reduction, x.shape()), x.dtype());
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    if (reduction == Reduction::none)
      cpu::mse_loss_forward<T>(out.data<T>(), x.data<T>(), t.data<T>(), n);
    else
      detail::store_reduced(out, cpu::mse_loss_forward<T>(nullptr, x.data<T>(), t.data<T>(), n), scale);
  });
  if (needs_grad({&x, &t})) {
    SavedTensor sx(x, "mse_loss"), st(t, "mse_loss");
    const std::int64_t stride = reduction == Reduction::none ? 1 : 0;
    attach_grad_fn(out, "mse_loss", {x, t}, [x, t, sx, st, stride, scale, n](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dt = grad_buffer(t);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        cpu::mse_loss_backward<T>(dx.defined() ? dx.data<T>() : nullptr, dt.defined() ? dt.data<T>() : nullptr,
                                  sx.get().data<T>(), st.get().data<T>(), dout.data<T>(), stride, scale, n);
      });
    });
  }
  return out;
}

}  // namespace specnet
