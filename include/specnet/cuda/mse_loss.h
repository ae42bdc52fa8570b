// Fused mean-squared-error kernels (CUDA), as torch.nn.functional.mse_loss.
// Same signatures as specnet/cpu/mse_loss.h with device pointers (src/cuda/mse_loss.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// out (n) = (in - tg)^2 when out is not null (reduction none), else returns sum (in - tg)^2 (deterministic)
template <typename T>
double mse_loss_forward(T* out, const T* in, const T* tg, std::int64_t n);
// g_i = scale * dout[i * dout_stride] (stride 0: scalar dout); din += 2 (in - tg) g_i; dtg -= 2 (in - tg) g_i
template <typename T>
void mse_loss_backward(T* din, T* dtg, const T* in, const T* tg, const T* dout, std::int64_t dout_stride, double scale,
                       std::int64_t n);

}  // namespace specnet::cuda
