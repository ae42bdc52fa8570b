// Tanh kernels (CUDA), as torch.tanh; backward uses the saved output.
// Same signatures as specnet/cpu/tanh.h with device pointers (src/cuda/tanh.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void tanh_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * tanh'; `out` is the forward's output
template <typename T>
void tanh_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
