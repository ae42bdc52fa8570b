// linear(x, w, b): autodiff wrapper over src/cpu/linear.cpp and src/cuda/linear.cu (the tensors' device picks the
// kernel); matches torch.nn.functional.linear.
#include "specnet/ops/linear.h"

#include "specnet/autograd.h"
#include "specnet/cpu/linear.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/linear.h"

namespace specnet {

Tensor linear(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in) {
  check_dim("linear", w_in, 2, "weight (O, I)");
  check_same_device("linear", x_in, w_in);
  SPECNET_CHECK(x_in.dim() >= 1, "linear: input must have at least 1 dimension");
  check_same_dtype("linear", x_in, w_in);
  const std::int64_t I = w_in.size(1), O = w_in.size(0);
  SPECNET_CHECK(x_in.size(-1) == I, "linear: input has ", x_in.size(-1), " features (shape ", shape_str(x_in.shape()),
                ") but weight ", shape_str(w_in.shape()), " expects ", I);
  if (b_in.defined()) {
    SPECNET_CHECK(b_in.shape() == Shape{O}, "linear: bias shape ", shape_str(b_in.shape()), " != (", O, ",)");
    check_same_dtype("linear", x_in, b_in);
    check_same_device("linear", x_in, b_in);
  }
  Shape out_shape = x_in.shape();
  out_shape.back() = O;
  Tensor x = x_in.contiguous(), w = w_in.contiguous(), b = b_in.defined() ? b_in.contiguous() : Tensor();
  const std::int64_t N = x.numel() / std::max<std::int64_t>(I, 1);
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    SPECNET_KERNEL(x.device(), linear_forward, out.ptr<T>(), x.ptr<T>(), w.ptr<T>(),
                   b.defined() ? b.ptr<T>() : nullptr, N, I, O);
  });
  if (needs_grad({&x, &w, &b})) {
    SavedTensor sx(x, "linear"), sw(w, "linear");
    std::vector<Tensor> inputs{x, w};
    if (b.defined()) inputs.push_back(b);
    attach_grad_fn(out, "linear", inputs, [x, w, b, sx, sw, N, I, O](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dw = grad_buffer(w), db = grad_buffer(b);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        SPECNET_KERNEL(x.device(), linear_backward, dx.defined() ? dx.ptr<T>() : nullptr,
                       dw.defined() ? dw.ptr<T>() : nullptr, db.defined() ? db.ptr<T>() : nullptr, dout.ptr<T>(),
                       sx.get().ptr<T>(), sw.get().ptr<T>(), N, I, O);
      });
    });
  }
  return out;
}

}  // namespace specnet
