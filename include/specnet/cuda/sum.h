// Axis-sum kernel (CUDA) behind sum / mean / sum_to_shape, as torch.sum over one block of dims (double accumulation).
// Same signatures as specnet/cpu/sum.h with device pointers (src/cuda/sum.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// out (outer, inner) = scale * sum_k in (outer, n, inner)[:, k, :]
template <typename T>
void sum_axis_forward(T* out, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner, double scale);

// Number of entries below zero (NaN not counted): input checks (negative variances or bases) on the device.
template <typename T>
std::int64_t count_negative(const T* p, std::int64_t n);

}  // namespace specnet::cuda
