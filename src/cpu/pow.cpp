// pow (scalar exponent) / sqrt kernels (torch.pow, torch.sqrt); x^2 is special-cased as x * x, the
// common use (squared errors, variances), which the compiler vectorises.
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
  if (exponent == 2.0)
    detail::unary_grad(din, in, in, dout, n, [](T x, T) { return T(2) * x; });
  else if (exponent == 0.0)
    return;  // x^0 = 1: no gradient (torch gives 0, also at x = 0)
  else
    detail::unary_grad(din, in, in, dout, n, [=](T x, T) { return p * std::pow(x, p - T(1)); });
}

template <typename T>
void sqrt_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::sqrt(x); });
}

template <typename T>
void sqrt_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  detail::unary_grad(din, out, out, dout, n, [](T, T y) { return T(0.5) / y; });
}

#define SPECNET_INSTANTIATE(T)                                                 \
  template void pow_forward<T>(T*, const T*, std::int64_t, double);            \
  template void pow_backward<T>(T*, const T*, const T*, std::int64_t, double); \
  template void sqrt_forward<T>(T*, const T*, std::int64_t);                   \
  template void sqrt_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
