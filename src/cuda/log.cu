// Natural logarithm on the GPU (src/cpu/log.cpp), as torch.log; log' = 1 / x.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/log.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void log_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("log_forward", n, [=] __device__(std::int64_t i) {
    out[i] = log(in[i]);
  });
}

template <typename T>
void log_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  for_each_index("log_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    din[i] += dout[i] * (T(1) / x);
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void log_forward<T>(T*, const T*, std::int64_t);               \
  template void log_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
