// ELU with an output scale on the GPU (src/cpu/elu.cpp), as torch.nn.functional.elu / selu.
// Forward and backward (accumulating) element-wise, mirroring the CPU kernel expression by expression.
#include "specnet/cuda/elu.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void elu_forward(T* out, const T* in, std::int64_t n, double alpha, double scale) {
  const T a = static_cast<T>(alpha), s = static_cast<T>(scale);
  for_each_index("elu_forward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    out[i] = x > T(0) ? s * x : s * a * (exp(x) - T(1));
  });
}

template <typename T>
void elu_backward(T* din, const T* in, const T* dout, std::int64_t n, double alpha, double scale) {
  const T a = static_cast<T>(alpha), s = static_cast<T>(scale);
  for_each_index("elu_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    din[i] += dout[i] * (x > T(0) ? s : s * a * exp(x));
  });
}

#define SPECNET_INSTANTIATE(T)                                                    \
  template void elu_forward<T>(T*, const T*, std::int64_t, double, double);               \
  template void elu_backward<T>(T*, const T*, const T*, std::int64_t, double, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
