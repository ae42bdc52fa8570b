// Absolute-value kernels (CUDA), as torch.abs: gradient sign(x), 0 at x = 0.
// Same signatures as specnet/cpu/abs.h with device pointers (src/cuda/abs.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void abs_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * abs'; `in` is the forward's input
template <typename T>
void abs_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
