// Clamp on the GPU (src/cpu/clamp.cpp), as torch.clamp: all hi when lo > hi, NaN propagates (as std::min/max).
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/clamp.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void clamp_forward(T* out, const T* in, std::int64_t n, double lo, double hi) {
  const T l = static_cast<T>(lo), h = static_cast<T>(hi);
  for_each_index("clamp_forward", n, [=] __device__(std::int64_t i) {
    const T x = in[i], m = x < l ? l : x;  // std::max(x, l): a NaN x stays
    out[i] = h < m ? h : m;              // std::min(m, h)
  });
}

template <typename T>
void clamp_backward(T* din, const T* in, const T* dout, std::int64_t n, double lo, double hi) {
  const T l = static_cast<T>(lo), h = static_cast<T>(hi);
  for_each_index("clamp_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    din[i] += dout[i] * (x >= l && x <= h ? T(1) : T(0));
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void clamp_forward<T>(T*, const T*, std::int64_t, double, double);               \
  template void clamp_backward<T>(T*, const T*, const T*, std::int64_t, double, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
