// GELU on the GPU (src/cpu/gelu.cpp): x Phi(x) with erf (torch's approximate='none') and the tanh form
// (approximate='tanh'). Backward accumulates into din.
#include "specnet/cuda/gelu.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {
namespace {
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
}  // namespace

template <typename T>
void gelu_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("gelu_forward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    out[i] = T(0.5) * x * (T(1) + erf(x * T(kInvSqrt2)));
  });
}

template <typename T>
void gelu_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  // d/dx [x Phi(x)] = Phi(x) + x phi(x)
  for_each_index("gelu_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    din[i] += dout[i] * (T(0.5) * (T(1) + erf(x * T(kInvSqrt2))) + x * T(kInvSqrt2Pi) * exp(T(-0.5) * x * x));
  });
}

template <typename T>
void gelu_tanh_forward(T* out, const T* in, std::int64_t n) {
  for_each_index("gelu_tanh_forward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    const T u = T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
    out[i] = T(0.5) * x * (T(1) + tanh(u));
  });
}

template <typename T>
void gelu_tanh_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  for_each_index("gelu_tanh_backward", n, [=] __device__(std::int64_t i) {
    const T x = in[i];
    const T u = T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
    const T t = tanh(u);
    const T du = T(kSqrt2OverPi) * (T(1) + T(3 * 0.044715) * x * x);
    din[i] += dout[i] * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du);
  });
}

#define SPECNET_INSTANTIATE(T)                                            \
  template void gelu_forward<T>(T*, const T*, std::int64_t);              \
  template void gelu_backward<T>(T*, const T*, const T*, std::int64_t);   \
  template void gelu_tanh_forward<T>(T*, const T*, std::int64_t);         \
  template void gelu_tanh_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
