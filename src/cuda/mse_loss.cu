// Fused MSE loss on the GPU (src/cpu/mse_loss.cpp), as torch.nn.functional.mse_loss: element losses, or
// their sum in double (fixed blocks, returned to the host), and one pass for both gradients.
#include "reduce.cuh"
#include "specnet/cuda/mse_loss.h"

namespace specnet::cuda {

template <typename T>
double mse_loss_forward(T* out, const T* in, const T* tg, std::int64_t n) {
  if (!out)
    return detail::device_sum("mse_loss_forward", n, [=] __device__(std::int64_t i) {
      const double d = static_cast<double>(in[i]) - static_cast<double>(tg[i]);
      return d * d;
    });
  for_each_index("mse_loss_forward", n, [=] __device__(std::int64_t i) { out[i] = (in[i] - tg[i]) * (in[i] - tg[i]); });
  return 0.0;
}

template <typename T>
void mse_loss_backward(T* din, T* dtg, const T* in, const T* tg, const T* dout, std::int64_t dout_stride, double scale,
                       std::int64_t n) {
  const T s = static_cast<T>(2.0 * scale);
  for_each_index("mse_loss_backward", n, [=] __device__(std::int64_t i) {
    const T g = s * dout[i * dout_stride] * (in[i] - tg[i]);
    if (din) din[i] += g;
    if (dtg) dtg[i] -= g;
  });
}

#define SPECNET_INSTANTIATE(T)                                               \
  template double mse_loss_forward<T>(T*, const T*, const T*, std::int64_t); \
  template void mse_loss_backward<T>(T*, T*, const T*, const T*, const T*, std::int64_t, double, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
