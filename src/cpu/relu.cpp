// relu / elu / selu kernels (torch.nn.functional.relu, elu, selu); selu reuses elu with its constants.
#include "specnet/cpu/relu.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void relu_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return x > T(0) ? x : T(0); });
}

template <typename T>
void relu_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  detail::unary_grad(din, in, in, dout, n, [](T x, T) { return x > T(0) ? T(1) : T(0); });
}

template <typename T>
void elu_forward(T* out, const T* in, std::int64_t n, double alpha, double scale) {
  const T a = static_cast<T>(alpha), s = static_cast<T>(scale);
  detail::unary_map(out, in, n, [=](T x) { return x > T(0) ? s * x : s * a * (std::exp(x) - T(1)); });
}

template <typename T>
void elu_backward(T* din, const T* in, const T* dout, std::int64_t n, double alpha, double scale) {
  const T a = static_cast<T>(alpha), s = static_cast<T>(scale);
  detail::unary_grad(din, in, in, dout, n, [=](T x, T) { return x > T(0) ? s : s * a * std::exp(x); });
}

#define SPECNET_INSTANTIATE(T)                                              \
  template void relu_forward<T>(T*, const T*, std::int64_t);                \
  template void relu_backward<T>(T*, const T*, const T*, std::int64_t);     \
  template void elu_forward<T>(T*, const T*, std::int64_t, double, double); \
  template void elu_backward<T>(T*, const T*, const T*, std::int64_t, double, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
