// Softplus kernels (CUDA), as torch.nn.functional.softplus with beta and threshold.
// Same signatures as specnet/cpu/softplus.h with device pointers (src/cuda/softplus.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void softplus_forward(T* out, const T* in, std::int64_t n, double beta, double threshold);
template <typename T>
void softplus_backward(T* din, const T* in, const T* dout, std::int64_t n, double beta, double threshold);

}  // namespace specnet::cuda
