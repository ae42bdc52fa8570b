// pow(x, p): autodiff wrapper over src/cpu/pow.cpp; matches torch.pow with a scalar exponent.
// Unlike torch (which returns NaN), pow refuses negative bases with a non-integer exponent.
#include "specnet/cpu/pow.h"
#include "specnet/cuda/pow.h"

#include <cmath>

#include "specnet/ops/arith.h"
#include "unary_op.h"

namespace specnet {

Tensor pow(const Tensor& a, double exponent) {
  SPECNET_CHECK(std::isfinite(exponent), "pow: exponent must be finite, got ", exponent);
  if (exponent != std::floor(exponent)) {
    Tensor x = a.detach().to(Device::cpu).contiguous();  // the scan runs on the host (a copy for cuda)
    SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
      const T* p = x.data<T>();
      const std::int64_t n = x.numel();
      bool negative = false;  // branch-free scan first, the offending value only on failure
      for (std::int64_t i = 0; i < n; ++i) negative |= p[i] < T(0);
      for (std::int64_t i = 0; negative && i < n; ++i)
        SPECNET_CHECK(!(p[i] < T(0)), "pow: negative base ", p[i], " at index ", i, " with non-integer exponent ",
                      exponent, " (shape ", shape_str(a.shape()), ")");
    });
  }
  return detail::unary_op(
      "pow", a,
      [=](Device d, auto* out, const auto* in, std::int64_t n) {
        SPECNET_KERNEL(d, pow_forward, out, in, n, exponent);
      },
      [=](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, pow_backward, din, in, dout, n, exponent);
      });
}

}  // namespace specnet
