// Axis-sum kernel (CPU) behind sum / mean / sum_to_shape, as torch.sum over one block of adjacent dims.
// The input is viewed as (outer, n, inner) and summed over n; accumulation is in double.
#pragma once
#include <cstdint>

namespace specnet::cpu {

// out (outer, inner) = scale * sum_k in (outer, n, inner)[:, k, :]
template <typename T>
void sum_axis_forward(T* out, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner, double scale);

}  // namespace specnet::cpu
