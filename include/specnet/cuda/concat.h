// Concatenation kernels (CUDA), as torch.cat over (outer, width_j) views of the inputs.
// Same signatures as specnet/cpu/concat.h with device pointers (src/cuda/concat.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {
// `ins` / `dins` and `widths` are host arrays (of device pointers); one launch per input.
// out (outer, W = sum widths) = [in_0 | in_1 | ... ] row by row
template <typename T>
void concat_forward(T* out, const T* const* ins, const std::int64_t* widths, std::int64_t k, std::int64_t outer);
// dins[j] (outer, widths[j]) += the matching columns of dout (outer, W); null dins[j] are skipped
template <typename T>
void concat_backward(T* const* dins, const T* dout, const std::int64_t* widths, std::int64_t k, std::int64_t outer);

}  // namespace specnet::cuda
