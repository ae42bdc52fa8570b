// Scalar affine map out = scale x + shift (tensor-scalar add / mul / neg); computed in T as torch does.
// The scale == 1 and shift == 0 cases get their own loops so that add and mul stay one operation each.
#include "specnet/cpu/affine.h"

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void affine_forward(T* out, const T* in, std::int64_t n, double scale, double shift) {
  const T s = static_cast<T>(scale), t = static_cast<T>(shift);
  if (scale == 1.0)
    detail::unary_map(out, in, n, [=](T x) { return x + t; });
  else if (shift == 0.0)
    detail::unary_map(out, in, n, [=](T x) { return x * s; });
  else
    detail::unary_map(out, in, n, [=](T x) { return x * s + t; });
}

template <typename T>
void affine_backward(T* din, const T* dout, std::int64_t n, double scale) {
  const T s = static_cast<T>(scale);
  detail::unary_grad(din, dout, dout, dout, n, [=](T, T) { return s; });
}

#define SPECNET_INSTANTIATE(T)                                                 \
  template void affine_forward<T>(T*, const T*, std::int64_t, double, double); \
  template void affine_backward<T>(T*, const T*, std::int64_t, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
