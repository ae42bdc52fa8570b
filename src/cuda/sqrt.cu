// Square root on the GPU (src/cpu/sqrt.cpp), as torch.sqrt; sqrt' = 0.5 / y from the saved output.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/sqrt.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void sqrt_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("sqrt_forward", n, [=] __device__(std::int64_t i) {
    out[i] = sqrt(in[i]);
  });
}

template <typename T>
void sqrt_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  for_each_index("sqrt_backward", n, [=] __device__(std::int64_t i) {
    const T y = out[i];
    din[i] += dout[i] * (T(0.5) / y);
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void sqrt_forward<T>(T*, const T*, std::int64_t);               \
  template void sqrt_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
