// GELU kernels (CPU): exact erf form (PyTorch's default approximate='none') and the tanh form
// (approximate='tanh'). Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T> void gelu_forward(T* out, const T* in, std::int64_t n);
template <typename T> void gelu_backward(T* din, const T* in, const T* dout, std::int64_t n);
template <typename T> void gelu_tanh_forward(T* out, const T* in, std::int64_t n);
template <typename T> void gelu_tanh_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
