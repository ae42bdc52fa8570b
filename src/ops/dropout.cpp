// dropout(x, p, training, rng): autodiff wrapper over src/cpu/dropout.cpp matching
// torch.nn.functional.dropout; the mask (0 or 1/(1-p) per element) is saved for backward.
#include "specnet/ops/dropout.h"

#include <cmath>

#include "specnet/autograd.h"
#include "specnet/cpu/dropout.h"

namespace specnet {

Tensor dropout(const Tensor& x_in, double p, bool training, Rng& rng) {
  SPECNET_CHECK(p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got ", p);
  if (!training) return x_in;
  check_cpu("dropout", x_in);
  Tensor x = x_in.contiguous();
  const std::int64_t n = x.numel();
  Tensor out = Tensor::empty(x.shape(), x.dtype()), mask = Tensor::empty(x.shape(), x.dtype());  // (same as x)
  const std::uint64_t first = rng.reserve(static_cast<std::uint64_t>(n));
  SPECNET_DISPATCH_FLOAT(x.dtype(), T,
                         { cpu::dropout_forward<T>(out.data<T>(), mask.data<T>(), x.data<T>(), n, p, rng, first); });
  if (needs_grad({&x})) {
    attach_grad_fn(out, "dropout", {x}, [x, mask, n](const Tensor& dout) {
      Tensor dx = grad_buffer(x);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T,
                             { cpu::dropout_backward<T>(dx.data<T>(), mask.data<T>(), dout.data<T>(), n); });
    });
  }
  return out;
}

}  // namespace specnet
