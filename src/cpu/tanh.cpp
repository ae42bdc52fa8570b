// Tanh kernel (torch.tanh).
// Backward reuses the saved output: tanh' = 1 - y^2.
#include "specnet/cpu/tanh.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void tanh_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::tanh(x); });
}

template <typename T>
void tanh_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  detail::unary_grad(din, out, out, dout, n, [](T, T y) { return T(1) - y * y; });
}

template void tanh_forward<float>(float*, const float*, std::int64_t);
template void tanh_forward<double>(double*, const double*, std::int64_t);
template void tanh_backward<float>(float*, const float*, const float*, std::int64_t);
template void tanh_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
