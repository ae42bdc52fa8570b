// Exponential kernels (CUDA), as torch.exp; backward uses the saved output.
// Same signatures as specnet/cpu/exp.h with device pointers (src/cuda/exp.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void exp_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * exp'; `out` is the forward's output
template <typename T>
void exp_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
