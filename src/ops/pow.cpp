// pow(x, p) / sqrt: autodiff wrappers over src/cpu/pow.cpp; match torch.pow (scalar exponent), torch.sqrt.
// Unlike torch (which returns NaN), pow refuses negative bases with a non-integer exponent.
#include "specnet/cpu/pow.h"

#include <cmath>

#include "specnet/ops/arith.h"
#include "specnet/ops/math.h"
#include "unary_op.h"

namespace specnet {

Tensor pow(const Tensor& a, double exponent) {
  SPECNET_CHECK(std::isfinite(exponent), "pow: exponent must be finite, got ", exponent);
  if (exponent != std::floor(exponent)) {
    check_cpu("pow", a);
    for (double v : a.to_vector())
      SPECNET_CHECK(!(v < 0), "pow: negative base ", v, " with non-integer exponent ", exponent, " (shape ",
                    shape_str(a.shape()), ")");
  }
  return detail::unary_op(
      "pow", a, [=](auto* out, const auto* in, std::int64_t n) { cpu::pow_forward(out, in, n, exponent); },
      [=](auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        cpu::pow_backward(din, in, dout, n, exponent);
      });
}

Tensor sqrt(const Tensor& x) {
  return detail::unary_op(
      "sqrt", x, [](auto* out, const auto* in, std::int64_t n) { cpu::sqrt_forward(out, in, n); },
      [](auto* din, const auto*, const auto* out, const auto* dout, std::int64_t n) {
        cpu::sqrt_backward(din, out, dout, n);
      });
}

}  // namespace specnet
