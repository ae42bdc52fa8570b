// Power kernels (CUDA), as torch.pow(x, p) with a scalar exponent.
// Same signatures as specnet/cpu/pow.h with device pointers (src/cuda/pow.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void pow_forward(T* out, const T* in, std::int64_t n, double exponent);
template <typename T>
void pow_backward(T* din, const T* in, const T* dout, std::int64_t n, double exponent);

}  // namespace specnet::cuda
