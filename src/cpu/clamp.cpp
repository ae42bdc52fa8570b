// Clamp kernel (torch.clamp with scalar bounds). With lo > hi every element becomes hi, as torch.
// Gradient 1 where lo <= x <= hi (both ends included, as torch), 0 elsewhere.
#include "specnet/cpu/clamp.h"

#include <algorithm>

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

template void clamp_forward<float>(float*, const float*, std::int64_t, double, double);
template void clamp_forward<double>(double*, const double*, std::int64_t, double, double);
template void clamp_backward<float>(float*, const float*, const float*, std::int64_t, double, double);
template void clamp_backward<double>(double*, const double*, const double*, std::int64_t, double, double);

}  // namespace specnet::cpu
