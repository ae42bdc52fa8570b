// Sigmoid kernels (CUDA), as torch.sigmoid; backward uses the saved output.
// Same signatures as specnet/cpu/sigmoid.h with device pointers (src/cuda/sigmoid.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void sigmoid_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * sigmoid'; `out` is the forward's output
template <typename T>
void sigmoid_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
