// dropout(x, p, training, rng): autodiff wrapper over src/cpu/dropout.cpp matching
// torch.nn.functional.dropout; the mask (0 or 1/(1-p) per element) is saved for backward.
#include "specnet/ops/dropout.h"

#include <cmath>

#include "specnet/autograd.h"
#include "specnet/cpu/dropout.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/dropout.h"

namespace specnet {

Tensor dropout(const Tensor& x_in, double p, bool training, Rng& rng) {
  SPECNET_CHECK(p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got ", p);
  if (!training) return x_in;
  Tensor x = x_in.contiguous();
  const std::int64_t n = x.numel();
  const Device dev = x.device();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), dev), mask = Tensor::empty(x.shape(), x.dtype(), dev);  // (as x)
  // the same blocks on either device: CPU and CUDA draw identical masks
  const std::uint64_t first = rng.reserve(static_cast<std::uint64_t>(n));
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    SPECNET_KERNEL(dev, dropout_forward, out.ptr<T>(), mask.ptr<T>(), x.ptr<T>(), n, p, rng, first);
  });
  if (needs_grad({&x})) {
    attach_grad_fn(out, "dropout", {x}, [x, mask, n, dev](const Tensor& dout) {
      Tensor dx = grad_buffer(x);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T,
                             { SPECNET_KERNEL(dev, dropout_backward, dx.ptr<T>(), mask.ptr<T>(), dout.ptr<T>(), n); });
    });
  }
  return out;
}

}  // namespace specnet
