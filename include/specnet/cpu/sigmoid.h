// Sigmoid kernels (CPU), as torch.sigmoid: 1 / (1 + exp(-x)) without overflow for x << 0; backward
// uses the saved output, sigmoid' = y (1 - y), and accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void sigmoid_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * sigmoid'; `out` is the forward's output
template <typename T>
void sigmoid_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
