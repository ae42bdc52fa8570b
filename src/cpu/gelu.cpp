// GELU: x * Phi(x) (erf form) and 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as torch.nn.GELU.
#include "specnet/cpu/gelu.h"

#include <cmath>

#include "specnet/context.h"

namespace specnet::cpu {
namespace {
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr std::int64_t kGrain = 1 << 14;
}  // namespace

template <typename T>
void gelu_forward(T* out, const T* in, std::int64_t n) {
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      T x = in[i];
      out[i] = T(0.5) * x * (T(1) + std::erf(x * T(kInvSqrt2)));
    }
  });
}

template <typename T>
void gelu_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  // d/dx [x Phi(x)] = Phi(x) + x phi(x)
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      T x = in[i];
      T cdf = T(0.5) * (T(1) + std::erf(x * T(kInvSqrt2)));
      T pdf = T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
      din[i] += dout[i] * (cdf + x * pdf);
    }
  });
}

template <typename T>
void gelu_tanh_forward(T* out, const T* in, std::int64_t n) {
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      T x = in[i];
      T u = T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
      out[i] = T(0.5) * x * (T(1) + std::tanh(u));
    }
  });
}

template <typename T>
void gelu_tanh_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      T x = in[i];
      T u = T(kSqrt2OverPi) * (x + T(0.044715) * x * x * x);
      T t = std::tanh(u);
      T du = T(kSqrt2OverPi) * (T(1) + T(3 * 0.044715) * x * x);
      din[i] += dout[i] * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du);
    }
  });
}

#define SPECNET_INSTANTIATE(T)                                            \
  template void gelu_forward<T>(T*, const T*, std::int64_t);              \
  template void gelu_backward<T>(T*, const T*, const T*, std::int64_t);   \
  template void gelu_tanh_forward<T>(T*, const T*, std::int64_t);         \
  template void gelu_tanh_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
