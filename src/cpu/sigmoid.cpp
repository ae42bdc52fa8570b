// sigmoid / tanh kernels (torch.sigmoid, torch.tanh); sigmoid is evaluated without overflow for x << 0.
#include "specnet/cpu/sigmoid.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void sigmoid_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) {
    const T e = std::exp(-std::abs(x));  // in (0, 1]: never overflows
    return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
  });
}

template <typename T>
void sigmoid_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  detail::unary_grad(din, out, out, dout, n, [](T, T y) { return y * (T(1) - y); });
}

template <typename T>
void tanh_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::tanh(x); });
}

template <typename T>
void tanh_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  detail::unary_grad(din, out, out, dout, n, [](T, T y) { return T(1) - y * y; });
}

#define SPECNET_INSTANTIATE(T)                                             \
  template void sigmoid_forward<T>(T*, const T*, std::int64_t);            \
  template void sigmoid_backward<T>(T*, const T*, const T*, std::int64_t); \
  template void tanh_forward<T>(T*, const T*, std::int64_t);               \
  template void tanh_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
