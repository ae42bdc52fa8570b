// Square-root kernels (CPU), as torch.sqrt (NaN for x < 0); backward uses the saved output,
// sqrt' = 0.5 / y, and accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void sqrt_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * sqrt'; `out` is the forward's output
template <typename T>
void sqrt_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
