// Square-root kernel (torch.sqrt).
// Backward reuses the saved output: sqrt' = 0.5 / y (inf at 0, as torch).
#include "specnet/cpu/sqrt.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void sqrt_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return std::sqrt(x); });
}

template <typename T>
void sqrt_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  detail::unary_grad(din, out, out, dout, n, [](T, T y) { return T(0.5) / y; });
}

template void sqrt_forward<float>(float*, const float*, std::int64_t);
template void sqrt_forward<double>(double*, const double*, std::int64_t);
template void sqrt_backward<float>(float*, const float*, const float*, std::int64_t);
template void sqrt_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
