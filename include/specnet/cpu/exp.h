// Exponential kernels (CPU), as torch.exp; backward uses the saved output, exp' = y, and accumulates
// into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void exp_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * exp'; `out` is the forward's output
template <typename T>
void exp_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
