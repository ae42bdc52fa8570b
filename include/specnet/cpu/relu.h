// Rectifier-family kernels (CPU): relu, elu, selu with torch.nn.functional semantics (relu'(0) = 0;
// selu = scale * elu(x, alpha) with the self-normalising constants). Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void relu_forward(T* out, const T* in, std::int64_t n);
template <typename T>
void relu_backward(T* din, const T* in, const T* dout, std::int64_t n);
// elu: x > 0 ? scale x : scale alpha (exp(x) - 1); scale = 1 for elu, kSeluScale for selu
template <typename T>
void elu_forward(T* out, const T* in, std::int64_t n, double alpha, double scale);
template <typename T>
void elu_backward(T* din, const T* in, const T* dout, std::int64_t n, double alpha, double scale);

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

}  // namespace specnet::cpu
