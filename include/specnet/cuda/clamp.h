// Clamp kernels (CUDA), as torch.clamp with scalar bounds (NaN propagates; gradient where lo <= x <= hi).
// Same signatures as specnet/cpu/clamp.h with device pointers (src/cuda/clamp.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void clamp_forward(T* out, const T* in, std::int64_t n, double lo, double hi);
template <typename T>
void clamp_backward(T* din, const T* in, const T* dout, std::int64_t n, double lo, double hi);

}  // namespace specnet::cuda
