// pow with a scalar exponent on the GPU (src/cpu/pow.cpp), as torch.pow; x^2 is x * x as on the CPU, and
// exponent 0 has no gradient. Backward accumulates into din.
#include "specnet/cuda/kernel.cuh"
#include "specnet/cuda/pow.h"

namespace specnet::cuda {

template <typename T>
void pow_forward(T* out, const T* in, std::int64_t n, double exponent) {
  const T p = static_cast<T>(exponent);
  if (exponent == 2.0)
    for_each_index("pow_forward", n, [=] __device__(std::int64_t i) { out[i] = in[i] * in[i]; });
  else
    for_each_index("pow_forward", n, [=] __device__(std::int64_t i) { out[i] = pow(in[i], p); });
}

template <typename T>
void pow_backward(T* din, const T* in, const T* dout, std::int64_t n, double exponent) {
  const T p = static_cast<T>(exponent);
  if (exponent == 0.0) return;  // x^0 = 1: no gradient (torch gives 0, also at x = 0)
  if (exponent == 2.0)
    for_each_index("pow_backward", n, [=] __device__(std::int64_t i) { din[i] += dout[i] * (T(2) * in[i]); });
  else
    for_each_index("pow_backward", n,
                   [=] __device__(std::int64_t i) { din[i] += dout[i] * (p * pow(in[i], p - T(1))); });
}

#define SPECNET_INSTANTIATE(T)                                               \
  template void pow_forward<T>(T*, const T*, std::int64_t, double);          \
  template void pow_backward<T>(T*, const T*, const T*, std::int64_t, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
