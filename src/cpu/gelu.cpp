// GELU: x * Phi(x) (erf form) and 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), as torch.nn.GELU.
#include "specnet/cpu/gelu.h"

#include <Eigen/Core>
#include <cmath>
#include <unsupported/Eigen/SpecialFunctions>

#include "specnet/context.h"

namespace specnet::cpu {
namespace {
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
constexpr double kSqrt2OverPi = 0.79788456080286535588;
constexpr std::int64_t kGrain = 1 << 14;
}  // namespace

// The erf forms run on Eigen arrays: Eigen's packet erf/exp vectorise (libm's scalar erff was half of a
// CAE training step), to within a few float ulp of std::erf.
template <typename T>
using Arr = Eigen::Array<T, Eigen::Dynamic, 1>;

template <typename T>
void gelu_forward(T* out, const T* in, std::int64_t n) {
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    Eigen::Map<const Arr<T>> x(in + b, e - b);
    Eigen::Map<Arr<T>>(out + b, e - b) = T(0.5) * x * (T(1) + (x * T(kInvSqrt2)).erf());
  });
}

template <typename T>
void gelu_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  // d/dx [x Phi(x)] = Phi(x) + x phi(x)
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    Eigen::Map<const Arr<T>> x(in + b, e - b), g(dout + b, e - b);
    Eigen::Map<Arr<T>>(din + b, e - b) +=
        g * (T(0.5) * (T(1) + (x * T(kInvSqrt2)).erf()) + x * T(kInvSqrt2Pi) * (T(-0.5) * x * x).exp());
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
