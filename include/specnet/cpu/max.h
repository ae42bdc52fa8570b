// Axis-max kernels (CPU), as torch.max(dim): the input is viewed as (outer, n, inner); ties and NaNs
// resolve to the first index along n (a NaN wins, as torch propagates it). Backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cpu {

// out (outer, inner) = max over n; idx (outer, inner) = its first index along n (idx may not be null)
template <typename T>
void max_axis_forward(T* out, std::int64_t* idx, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner);
// din (outer, n, inner)[o, idx[o, i], i] += dout (outer, inner)[o, i]
template <typename T>
void max_axis_backward(T* din, const std::int64_t* idx, const T* dout, std::int64_t outer, std::int64_t n,
                       std::int64_t inner);

}  // namespace specnet::cpu
