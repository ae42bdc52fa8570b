// Power kernels (CPU), as torch.pow(x, p) with a scalar exponent and torch.sqrt. Backward accumulates
// into din: pow' = p x^(p-1), sqrt' = 0.5 / y (saved output).
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void pow_forward(T* out, const T* in, std::int64_t n, double exponent);
template <typename T>
void pow_backward(T* din, const T* in, const T* dout, std::int64_t n, double exponent);
template <typename T>
void sqrt_forward(T* out, const T* in, std::int64_t n);
template <typename T>
void sqrt_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
