// Concatenation kernels (CPU), as torch.cat: each input is viewed as (outer, width_j) with
// width_j = size_j(dim) * prod(shape[dim+1:]), and out (outer, W) holds the rows side by side.
#pragma once
#include <cstdint>

namespace specnet::cpu {

// out (outer, W = sum widths) = [in_0 | in_1 | ... ] row by row
template <typename T>
void concat_forward(T* out, const T* const* ins, const std::int64_t* widths, std::int64_t k, std::int64_t outer);
// dins[j] (outer, widths[j]) += the matching columns of dout (outer, W); null dins[j] are skipped
template <typename T>
void concat_backward(T* const* dins, const T* dout, const std::int64_t* widths, std::int64_t k, std::int64_t outer);

}  // namespace specnet::cpu
