// Natural logarithm kernels (CPU), as torch.log (NaN for x < 0, -inf at 0); log' = 1 / x. Backward
// accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void log_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * log'; `in` is the forward's input
template <typename T>
void log_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
