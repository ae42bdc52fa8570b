// Absolute value on the GPU (src/cpu/abs.cpp): gradient sign(x), 0 at x = 0, as torch.abs.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/abs.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void abs_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("abs_forward", n, [=] __device__(std::int64_t i) {
    out[i] = fabs(in[i]);
  });
}

template <typename T>
void abs_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  for_each_index("abs_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    din[i] += dout[i] * T((x > T(0)) - (x < T(0)));
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void abs_forward<T>(T*, const T*, std::int64_t);               \
  template void abs_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
