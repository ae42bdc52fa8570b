// Scalar affine map out = scale x + shift on the GPU (src/cpu/affine.cpp): tensor-scalar add / mul / neg,
// computed in T with the same special cases as the CPU. Backward accumulates din += scale dout.
#include "specnet/cuda/affine.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void affine_forward(T* out, const T* in, std::int64_t n, double scale, double shift) {
  const T s = static_cast<T>(scale), t = static_cast<T>(shift);
  if (scale == 1.0)
    for_each_index("affine_forward", n, [=] __device__(std::int64_t i) { out[i] = in[i] + t; });
  else if (shift == 0.0)
    for_each_index("affine_forward", n, [=] __device__(std::int64_t i) { out[i] = in[i] * s; });
  else
    for_each_index("affine_forward", n, [=] __device__(std::int64_t i) { out[i] = in[i] * s + t; });
}

template <typename T>
void affine_backward(T* din, const T* dout, std::int64_t n, double scale) {
  const T s = static_cast<T>(scale);
  for_each_index("affine_backward", n, [=] __device__(std::int64_t i) { din[i] += dout[i] * s; });
}

#define SPECNET_INSTANTIATE(T)                                                 \
  template void affine_forward<T>(T*, const T*, std::int64_t, double, double); \
  template void affine_backward<T>(T*, const T*, std::int64_t, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
