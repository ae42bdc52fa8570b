// Exponential kernel (torch.exp).
// Backward reuses the saved output: d exp(x) / dx = exp(x).
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

template void exp_forward<float>(float*, const float*, std::int64_t);
template void exp_forward<double>(double*, const double*, std::int64_t);
template void exp_backward<float>(float*, const float*, const float*, std::int64_t);
template void exp_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
