// Softplus on the GPU (src/cpu/softplus.cpp), as torch.nn.functional.softplus with beta and threshold.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/softplus.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {
namespace {
template <typename T>
__device__ inline T softplus_grad(T x, T b, T th) {
  if (x * b > th) return T(1);
  const T z = exp(x * b);
  return z / (z + T(1));
}
}  // namespace

template <typename T>
void softplus_forward(T* out, const T* in, std::int64_t n, double beta, double threshold) {
  const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
  for_each_index("softplus_forward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    out[i] = x * b > th ? x : log1p(exp(x * b)) / b;
  });
}

template <typename T>
void softplus_backward(T* din, const T* in, const T* dout, std::int64_t n, double beta, double threshold) {
  const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
  for_each_index("softplus_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    din[i] += dout[i] * softplus_grad(x, b, th);
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void softplus_forward<T>(T*, const T*, std::int64_t, double, double);               \
  template void softplus_backward<T>(T*, const T*, const T*, std::int64_t, double, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
