// Absolute-value kernel (torch.abs).
// Gradient sign(x) with sign(0) = 0, as torch.abs backward.
#include "specnet/cpu/abs.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void abs_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::abs(x); });
}

template <typename T>
void abs_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  detail::unary_grad(din, in, in, dout, n, [](T x, T) { return T((x > T(0)) - (x < T(0))); });
}

template void abs_forward<float>(float*, const float*, std::int64_t);
template void abs_forward<double>(double*, const double*, std::int64_t);
template void abs_backward<float>(float*, const float*, const float*, std::int64_t);
template void abs_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
