// Tanh on the GPU (src/cpu/tanh.cpp), as torch.tanh; tanh' = 1 - y^2 from the saved output.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/tanh.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void tanh_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("tanh_forward", n, [=] __device__(std::int64_t i) {
    out[i] = tanh(in[i]);
  });
}

template <typename T>
void tanh_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  for_each_index("tanh_backward", n, [=] __device__(std::int64_t i) {
    const T y = out[i];
    din[i] += dout[i] * (T(1) - y * y);
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void tanh_forward<T>(T*, const T*, std::int64_t);               \
  template void tanh_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
