// Axis-max kernels (CUDA), as torch.max(dim): first index wins ties, a NaN wins (torch propagates it).
// Same signatures as specnet/cpu/max.h with device pointers (src/cuda/max.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// out (outer, inner) = max over n; idx (outer, inner) = its first index along n (idx may not be null)
template <typename T>
void max_axis_forward(T* out, std::int64_t* idx, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner);
// din (outer, n, inner)[o, idx[o, i], i] += dout (outer, inner)[o, i]
template <typename T>
void max_axis_backward(T* din, const std::int64_t* idx, const T* dout, std::int64_t outer, std::int64_t n,
                       std::int64_t inner);

// out (m) = idx (m) as values (argmax results in the input's dtype)
template <typename T>
void indices_to_values(T* out, const std::int64_t* idx, std::int64_t m);

}  // namespace specnet::cuda
