// Fused mean-squared-error kernels (CPU), as torch.nn.functional.mse_loss: element loss (x - t)^2,
// reduced by the caller's scale. Backward accumulates into dinput / dtarget (either may be null).
#pragma once
#include <cstdint>

namespace specnet::cpu {

// out (n) = (in - tg)^2 when out is not null (reduction none), else returns sum (in - tg)^2 (deterministic)
template <typename T>
double mse_loss_forward(T* out, const T* in, const T* tg, std::int64_t n);
// g_i = scale * dout[i * dout_stride] (stride 0: scalar dout); din += 2 (in - tg) g_i; dtg -= 2 (in - tg) g_i
template <typename T>
void mse_loss_backward(T* din, T* dtg, const T* in, const T* tg, const T* dout, std::int64_t dout_stride, double scale,
                       std::int64_t n);

}  // namespace specnet::cpu
