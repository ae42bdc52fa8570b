// Exponential / logarithm kernels (CPU), as torch.exp and torch.log (log of x < 0 is NaN, of 0 is -inf,
// as torch). Backward accumulates into din: exp' = y (saved output), log' = 1 / x.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void exp_forward(T* out, const T* in, std::int64_t n);
template <typename T>
void exp_backward(T* din, const T* out, const T* dout, std::int64_t n);
template <typename T>
void log_forward(T* out, const T* in, std::int64_t n);
template <typename T>
void log_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
