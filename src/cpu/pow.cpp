// pow kernel with a scalar exponent (torch.pow); x^2 is special-cased as x * x, the common use (squared
// errors, variances), which the compiler vectorises.
#include "specnet/cpu/pow.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void pow_forward(T* out, const T* in, std::int64_t n, double exponent) {
  const T p = static_cast<T>(exponent);
  if (exponent == 2.0)
    detail::unary_map(out, in, n, [](T x) { return x * x; });
  else
    detail::unary_map(out, in, n, [=](T x) { return std::pow(x, p); });
}

template <typename T>
void pow_backward(T* din, const T* in, const T* dout, std::int64_t n, double exponent) {
  const T p = static_cast<T>(exponent);
  if (exponent == 0.0) return;  // x^0 = 1: no gradient (torch gives 0, also at x = 0)
  if (exponent == 2.0)
    detail::unary_grad(din, in, in, dout, n, [](T x, T) { return T(2) * x; });
  else
    detail::unary_grad(din, in, in, dout, n, [=](T x, T) { return p * std::pow(x, p - T(1)); });
}

template void pow_forward<float>(float*, const float*, std::int64_t, double);
template void pow_forward<double>(double*, const double*, std::int64_t, double);
template void pow_backward<float>(float*, const float*, const float*, std::int64_t, double);
template void pow_backward<double>(double*, const double*, const double*, std::int64_t, double);

}  // namespace specnet::cpu
