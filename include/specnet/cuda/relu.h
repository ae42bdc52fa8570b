// ReLU kernels (CUDA), as torch.nn.functional.relu (gradient 0 at x = 0).
// Same signatures as specnet/cpu/relu.h with device pointers (src/cuda/relu.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void relu_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * relu'; `in` is the forward's input
template <typename T>
void relu_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
