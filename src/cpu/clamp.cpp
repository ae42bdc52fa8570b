// clamp / abs kernels (torch.clamp, torch.abs). With lo > hi every element becomes hi, as torch.
#include "specnet/cpu/clamp.h"

#include <algorithm>
#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void clamp_forward(T* out, const T* in, std::int64_t n, double lo, double hi) {
  const T l = static_cast<T>(lo), h = static_cast<T>(hi);
  // std::max/min keep their first argument when the comparison is false, so a NaN x stays NaN
  detail::unary_map(out, in, n, [=](T x) { return std::min(std::max(x, l), h); });
}

template <typename T>
void clamp_backward(T* din, const T* in, const T* dout, std::int64_t n, double lo, double hi) {
  const T l = static_cast<T>(lo), h = static_cast<T>(hi);
  detail::unary_grad(din, in, in, dout, n, [=](T x, T) { return x >= l && x <= h ? T(1) : T(0); });
}

template <typename T>
void abs_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::abs(x); });
}

template <typename T>
void abs_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  detail::unary_grad(din, in, in, dout, n, [](T x, T) { return T((x > T(0)) - (x < T(0))); });
}

#define SPECNET_INSTANTIATE(T)                                                           \
  template void clamp_forward<T>(T*, const T*, std::int64_t, double, double);            \
  template void clamp_backward<T>(T*, const T*, const T*, std::int64_t, double, double); \
  template void abs_forward<T>(T*, const T*, std::int64_t);                              \
  template void abs_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
