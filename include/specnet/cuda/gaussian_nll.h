// Fused Gaussian negative log-likelihood kernels (CUDA), as torch.nn.functional.gaussian_nll_loss.
// Same signatures as specnet/cpu/gaussian_nll.h with device pointers (src/cuda/gaussian_nll.cu); backward accumulates.
// gradient (torch clamps a clone under no_grad), so dvar uses v as if it were var.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// Inputs (rows, D); var (rows, D), or (rows) when var_per_row (one variance shared along the last dim).
// out (rows, D) = element losses when out is not null, else returns their sum (deterministic).
template <typename T>
double gaussian_nll_forward(T* out, const T* in, const T* tg, const T* var, std::int64_t rows, std::int64_t D,
                            bool var_per_row, double eps, bool full);
// g = scale * dout[(r * D + d) * dout_stride] (stride 0: scalar dout). Accumulates din, dtg (rows, D) and
// dvar (rows, D) or (rows); any may be null.
template <typename T>
void gaussian_nll_backward(T* din, T* dtg, T* dvar, const T* in, const T* tg, const T* var, const T* dout,
                           std::int64_t dout_stride, double scale, std::int64_t rows, std::int64_t D, bool var_per_row,
                           double eps);

}  // namespace specnet::cuda
