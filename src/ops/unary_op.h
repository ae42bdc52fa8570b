// Shared plumbing for element-wise unary ops (private to src/ops): allocate the result, run the forward
// kernel for the tensor's dtype, and record a backward that calls the backward kernel with
// (din, in, out, dout, n). Each op file passes two generic lambdas that name its kernels.
#pragma once
#include "specnet/autograd.h"
#include "specnet/tensor.h"

namespace specnet::detail {

template <typename Fwd, typename Bwd>
Tensor unary_op(const char* name, const Tensor& x_in, Fwd fwd, Bwd bwd) {
  check_cpu(name, x_in);
  Tensor x = x_in.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype());
  const std::int64_t n = x.numel();
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, { fwd(out.data<T>(), x.data<T>(), n); });
  if (needs_grad({&x})) {
    SavedTensor sx(x, name), so(out.detach(), name);
    attach_grad_fn(out, name, {x}, [x, sx, so, bwd, n](const Tensor& dout) {
      Tensor din = grad_buffer(x);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        bwd(din.data<T>(), sx.get().template data<T>(), so.get().template data<T>(), dout.data<T>(), n);
      });
    });
  }
  return out;
}

}  // namespace specnet::detail
