// Dropout kernels (CPU), as torch.nn.functional.dropout in training: element i is kept when the
// uniform of Philox block (first + i) exceeds p, and kept elements are scaled by 1 / (1 - p).
#pragma once
#include <cstdint>

#include "specnet/rng.h"

namespace specnet::cpu {

// mask (n) = keep ? 1 / (1 - p) : 0;  out (n) = in * mask
template <typename T>
void dropout_forward(T* out, T* mask, const T* in, std::int64_t n, double p, const Rng& rng, std::uint64_t first);
// din (n) += dout * mask
template <typename T>
void dropout_backward(T* din, const T* mask, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
