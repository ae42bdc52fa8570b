// Natural logarithm kernel (torch.log).
// Gradient 1 / x; log(0) = -inf and log(x < 0) = NaN follow std::log, as torch.
#include "specnet/cpu/log.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void log_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::log(x); });
}

template <typename T>
void log_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  detail::unary_grad(din, in, in, dout, n, [](T x, T) { return T(1) / x; });
}

template void log_forward<float>(float*, const float*, std::int64_t);
template void log_forward<double>(double*, const double*, std::int64_t);
template void log_backward<float>(float*, const float*, const float*, std::int64_t);
template void log_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
