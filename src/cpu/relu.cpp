// ReLU kernel (torch.nn.functional.relu).
// Gradient 1 for x > 0 and 0 otherwise, including x = 0 (torch.nn.functional.relu backward).
#include "specnet/cpu/relu.h"

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void relu_forward(T* out, const T* in, std::int64_t n) {
  detail::unary_map(out, in, n, [](T x) { return x > T(0) ? x : T(0); });
}

template <typename T>
void relu_backward(T* din, const T* in, const T* dout, std::int64_t n) {
  detail::unary_grad(din, in, in, dout, n, [](T x, T) { return x > T(0) ? T(1) : T(0); });
}

template void relu_forward<float>(float*, const float*, std::int64_t);
template void relu_forward<double>(double*, const double*, std::int64_t);
template void relu_backward<float>(float*, const float*, const float*, std::int64_t);
template void relu_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
