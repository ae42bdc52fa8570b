// Natural logarithm kernels (CUDA), as torch.log; log' = 1 / x.
// Same signatures as specnet/cpu/log.h with device pointers (src/cuda/log.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void log_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * log'; `in` is the forward's input
template <typename T>
void log_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
