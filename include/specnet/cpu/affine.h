// Scalar affine kernel (CPU) behind add(x, s), mul(x, s) and neg(x): out = scale x + shift, as torch's
// tensor-scalar add / mul. Backward accumulates din += scale dout.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void affine_forward(T* out, const T* in, std::int64_t n, double scale, double shift);
template <typename T>
void affine_backward(T* din, const T* dout, std::int64_t n, double scale);

}  // namespace specnet::cpu
