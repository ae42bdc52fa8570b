// Clamp and abs kernels (CPU), as torch.clamp (gradient passes where min <= x <= max; NaN propagates)
// and torch.abs (gradient sign(x), 0 at 0). Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void clamp_forward(T* out, const T* in, std::int64_t n, double lo, double hi);
template <typename T>
void clamp_backward(T* din, const T* in, const T* dout, std::int64_t n, double lo, double hi);
template <typename T>
void abs_forward(T* out, const T* in, std::int64_t n);
template <typename T>
void abs_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
