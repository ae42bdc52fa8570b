// Sigmoid kernel (torch.sigmoid), evaluated through exp(-|x|) so that it never overflows.
// Backward reuses the saved output: sigmoid' = y (1 - y).
#include "specnet/cpu/sigmoid.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void sigmoid_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) {
    const T e = std::exp(-std::abs(x));  // in (0, 1]
    return x >= T(0) ? T(1) / (T(1) + e) : e / (T(1) + e);
  });
}

template <typename T>
void sigmoid_backward(T* din, const T* out, const T* dout, std::int64_t n) {
  detail::unary_grad(din, out, out, dout, n, [](T, T y) { return y * (T(1) - y); });
}

template void sigmoid_forward<float>(float*, const float*, std::int64_t);
template void sigmoid_forward<double>(double*, const double*, std::int64_t);
template void sigmoid_backward<float>(float*, const float*, const float*, std::int64_t);
template void sigmoid_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
