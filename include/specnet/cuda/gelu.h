// GELU kernels (CUDA): exact erf form and tanh form, as torch.nn.functional.gelu.
// Same signatures as specnet/cpu/gelu.h with device pointers (src/cuda/gelu.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T> void gelu_forward(T* out, const T* in, std::int64_t n);
template <typename T> void gelu_backward(T* din, const T* in, const T* dout, std::int64_t n);
template <typename T> void gelu_tanh_forward(T* out, const T* in, std::int64_t n);
template <typename T> void gelu_tanh_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
