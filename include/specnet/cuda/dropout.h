// Dropout kernels (CUDA), as torch.nn.functional.dropout: the same Philox stream as the CPU kernel.
// Same signatures as specnet/cpu/dropout.h with device pointers (src/cuda/dropout.cu); backward accumulates.
#pragma once
#include <cstdint>

#include "specnet/rng.h"

namespace specnet::cuda {

// mask (n) = keep ? 1 / (1 - p) : 0;  out (n) = in * mask
template <typename T>
void dropout_forward(T* out, T* mask, const T* in, std::int64_t n, double p, const Rng& rng, std::uint64_t first);
// din (n) += dout * mask
template <typename T>
void dropout_backward(T* din, const T* mask, const T* dout, std::int64_t n);

}  // namespace specnet::cuda
