// Scalar affine kernels (CUDA) behind add(x, s), mul(x, s) and neg(x): out = scale x + shift.
// Same signatures as specnet/cpu/affine.h with device pointers (src/cuda/affine.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void affine_forward(T* out, const T* in, std::int64_t n, double scale, double shift);
template <typename T>
void affine_backward(T* din, const T* dout, std::int64_t n, double scale);

}  // namespace specnet::cuda
