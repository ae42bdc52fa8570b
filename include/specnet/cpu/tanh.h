// Tanh kernels (CPU), as torch.tanh; backward uses the saved output, tanh' = 1 - y^2, and accumulates
// into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void tanh_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * tanh'; `out` is the forward's output
template <typename T>
void tanh_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
