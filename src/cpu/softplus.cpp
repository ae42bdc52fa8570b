// Softplus (torch.nn.functional.softplus with beta and threshold); gradient sigmoid(beta x) below the
// threshold, 1 above it, exactly as torch's softplus_backward.
#include "specnet/cpu/softplus.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void softplus_forward(T* out, const T* in, std::int64_t n, double beta, double threshold) {
  const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
  detail::unary_map(out, in, n, [=](T x) { return x * b > th ? x : std::log1p(std::exp(x * b)) / b; });
}

template <typename T>
void softplus_backward(T* din, const T* in, const T* dout, std::int64_t n, double beta, double threshold) {
  const T b = static_cast<T>(beta), th = static_cast<T>(threshold);
  detail::unary_grad(din, in, in, dout, n, [=](T x, T) {
    if (x * b > th) return T(1);
    const T z = std::exp(x * b);
    return z / (z + T(1));
  });
}

#define SPECNET_INSTANTIATE(T)                                                   \
  template void softplus_forward<T>(T*, const T*, std::int64_t, double, double); \
  template void softplus_backward<T>(T*, const T*, const T*, std::int64_t, double, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
