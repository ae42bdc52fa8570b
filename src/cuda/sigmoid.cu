// Sigmoid on the GPU (src/cpu/sigmoid.cpp) through exp(-|x|), so it never overflows; as torch.sigmoid.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/sigmoid.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void sigmoid_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("sigmoid_forward", n, [=] __device__(std::int64_t i) {
    const T x = in[i], e = exp(-fabs(x));  // e in (0, 1]
    out[i] = x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
  });
}

template <typename T>
void sigmoid_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  for_each_index("sigmoid_backward", n, [=] __device__(std::int64_t i) {
    const T y = out[i];
    din[i] += dout[i] * (y * (T(1) - y));
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void sigmoid_forward<T>(T*, const T*, std::int64_t);               \
  template void sigmoid_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
