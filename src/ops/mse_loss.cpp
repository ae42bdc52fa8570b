// mse_loss(input, target, reduction): fused autodiff wrapper over src/cpu/mse_loss.cpp, matching
// torch.nn.functional.mse_loss (same shapes required; both input and target get gradients).
#include "specnet/cpu/mse_loss.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/mse_loss.h"

#include "loss_reduction.h"
#include "specnet/autograd.h"

namespace specnet {

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_device("mse_loss", input, target);
  check_same_dtype("mse_loss", input, target);
  SPECNET_CHECK(input.shape() == target.shape(), "mse_loss: input shape ", shape_str(input.shape()),
                " != target shape ", shape_str(target.shape()));
  Tensor x = input.contiguous(), t = target.contiguous();
  const std::int64_t n = x.numel();
  const double scale = detail::loss_scale(reduction, n);
  const Device dev = x.device();
  Tensor out = Tensor::empty(detail::loss_shape(reduction, x.shape()), x.dtype(), dev);
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    if (reduction == Reduction::none)
      SPECNET_KERNEL(dev, mse_loss_forward, out.ptr<T>(), x.ptr<T>(), t.ptr<T>(), n);
    else
      detail::store_reduced(
          out, SPECNET_KERNEL(dev, mse_loss_forward, static_cast<T*>(nullptr), x.ptr<T>(), t.ptr<T>(), n), scale);
  });
  if (needs_grad({&x, &t})) {
    SavedTensor sx(x, "mse_loss"), st(t, "mse_loss");
    const std::int64_t stride = reduction == Reduction::none ? 1 : 0;
    attach_grad_fn(out, "mse_loss", {x, t}, [x, t, sx, st, stride, scale, n, dev](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dt = grad_buffer(t);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        SPECNET_KERNEL(dev, mse_loss_backward, dx.defined() ? dx.ptr<T>() : nullptr,
                       dt.defined() ? dt.ptr<T>() : nullptr, sx.get().ptr<T>(), st.get().ptr<T>(), dout.ptr<T>(),
                       stride, scale, n);
      });
    });
  }
  return out;
}

}  // namespace specnet
