// ELU / SELU kernels (CPU), as torch.nn.functional.elu and selu: x > 0 ? scale x : scale alpha (exp(x) - 1)
// with scale 1 for elu and selu's self-normalising (alpha, scale). Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;

template <typename T>
void elu_forward(T* out, const T* in, std::int64_t n, double alpha, double scale);
// din (n) += dout * (x > 0 ? scale : scale alpha exp(x))
template <typename T>
void elu_backward(T* din, const T* in, const T* dout, std::int64_t n, double alpha, double scale);

}  // namespace specnet::cpu
