// Power kernels (CPU), as torch.pow(x, p) with a scalar exponent; pow' = p x^(p-1) (0 for p = 0).
// Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void pow_forward(T* out, const T* in, std::int64_t n, double exponent);
template <typename T>
void pow_backward(T* din, const T* in, const T* dout, std::int64_t n, double exponent);

}  // namespace specnet::cpu
