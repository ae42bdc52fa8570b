// ELU kernel with an output scale (torch.nn.functional.elu; selu is the same with its constants).
// Gradient scale for x > 0, scale alpha exp(x) otherwise (torch.nn.functional.elu backward).
#include "specnet/cpu/elu.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

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

template void elu_forward<float>(float*, const float*, std::int64_t, double, double);
template void elu_forward<double>(double*, const double*, std::int64_t, double, double);
template void elu_backward<float>(float*, const float*, const float*, std::int64_t, double, double);
template void elu_backward<double>(double*, const double*, const double*, std::int64_t, double, double);

}  // namespace specnet::cpu
