// Square-root kernels (CUDA), as torch.sqrt; backward uses the saved output.
// Same signatures as specnet/cpu/sqrt.h with device pointers (src/cuda/sqrt.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void sqrt_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * sqrt'; `out` is the forward's output
template <typename T>
void sqrt_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
