// ReLU on the GPU (src/cpu/relu.cpp): gradient 0 at x = 0, as torch.nn.functional.relu.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/relu.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void relu_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("relu_forward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    out[i] = x > T(0) ? x : T(0);
  });
}

template <typename T>
void relu_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  for_each_index("relu_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    din[i] += dout[i] * (x > T(0) ? T(1) : T(0));
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void relu_forward<T>(T*, const T*, std::int64_t);               \
  template void relu_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
