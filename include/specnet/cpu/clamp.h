// Clamp kernels (CPU), as torch.clamp: min(max(x, lo), hi) (all hi when lo > hi; NaN propagates), the
// gradient passes where lo <= x <= hi. Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void clamp_forward(T* out, const T* in, std::int64_t n, double lo, double hi);
template <typename T>
void clamp_backward(T* din, const T* in, const T* dout, std::int64_t n, double lo, double hi);

}  // namespace specnet::cpu
