// Shared plumbing for element-wise unary ops (private to src/ops): allocate the result on the input's
// device, run the forward kernel for the tensor's dtype, and record a backward that calls the backward
// kernel with (device, din, in, out, dout, n). Each op file passes two generic lambdas that name its kernels
// through SPECNET_KERNEL(device, name, ...).
#pragma once
#include "specnet/autograd.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/tensor.h"

namespace specnet::detail {

template <typename Fwd, typename Bwd>
Tensor unary_op(const char* name, const Tensor& x_in, Fwd fwd, Bwd bwd) {
  Tensor x = x_in.contiguous();
  const Device dev = x.device();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), dev);
  const std::int64_t n = x.numel();
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, { fwd(dev, out.ptr<T>(), x.ptr<T>(), n); });
  if (needs_grad({&x})) {
    SavedTensor sx(x, name), so(out.detach(), name);
    attach_grad_fn(out, name, {x}, [x, sx, so, bwd, n, dev](const Tensor& dout) {
      Tensor din = grad_buffer(x);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        bwd(dev, din.ptr<T>(), sx.get().template ptr<T>(), so.get().template ptr<T>(), dout.ptr<T>(), n);
      });
    });
  }
  return out;
}

}  // namespace specnet::detail
