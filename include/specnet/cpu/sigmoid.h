// Logistic-family kernels (CPU): sigmoid and tanh as torch.sigmoid / torch.tanh. Backward uses the saved
// output (sigmoid' = y (1 - y), tanh' = 1 - y^2) and accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void sigmoid_forward(T* out, const T* in, std::int64_t n);
template <typename T>
void sigmoid_backward(T* din, const T* out, const T* dout, std::int64_t n);
template <typename T>
void tanh_forward(T* out, const T* in, std::int64_t n);
template <typename T>
void tanh_backward(T* din, const T* out, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
