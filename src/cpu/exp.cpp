// exp / log kernels (torch.exp, torch.log).
#include "specnet/cpu/exp.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void exp_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::exp(x); });
}

template <typename T>
void exp_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  detail::unary_grad(din, out, out, dout, n, [](T, T y) { return y; });
}

template <typename T>
void log_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::log(x); });
}

template <typename T>
void log_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  detail::unary_grad(din, in, in, dout, n, [](T x, T) { return T(1) / x; });
}

#define SPECNET_INSTANTIATE(T)                                         \
  template void exp_forward<T>(T*, const T*, std::int64_t);            \
  template void exp_backward<T>(T*, const T*, const T*, std::int64_t); \
  template void log_forward<T>(T*, const T*, std::int64_t);            \
  template void log_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
