// Exponential on the GPU (src/cpu/exp.cpp), as torch.exp; backward uses the saved output.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/exp.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void exp_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("exp_forward", n, [=] __device__(std::int64_t i) {
    out[i] = exp(in[i]);
  });
}

template <typename T>
void exp_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  for_each_index("exp_backward", n, [=] __device__(std::int64_t i) {
    const T y = out[i];
    din[i] += dout[i] * y;
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void exp_forward<T>(T*, const T*, std::int64_t);               \
  template void exp_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
