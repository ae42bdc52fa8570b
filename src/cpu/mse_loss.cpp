// Fused MSE loss (torch.nn.functional.mse_loss): one pass for the loss and one for both gradients.
// The reduced forward sums in fixed blocks (double), so the loss is identical for any thread count.
#include "specnet/cpu/mse_loss.h"

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
double mse_loss_forward(T* out, const T* in, const T* tg, std::int64_t n) {
  if (!out)
    return detail::blocked_sum(n, [=](std::int64_t i) {
      const double d = static_cast<double>(in[i]) - static_cast<double>(tg[i]);
      return d * d;
    });
  parallel_for(n, detail::kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) out[i] = (in[i] - tg[i]) * (in[i] - tg[i]);
  });
  return 0.0;
}

template <typename T>
void mse_loss_backward(T* din, T* dtg, const T* in, const T* tg, const T* dout, std::int64_t dout_stride, double scale,
                       std::int64_t n) {
  const T s = static_cast<T>(2.0 * scale);
  parallel_for(n, detail::kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const T g = s * dout[i * dout_stride] * (in[i] - tg[i]);
      if (din) din[i] += g;
      if (dtg) dtg[i] -= g;
    }
  });
}

#define SPECNET_INSTANTIATE(T)                                               \
  template double mse_loss_forward<T>(T*, const T*, const T*, std::int64_t); \
  template void mse_loss_backward<T>(T*, T*, const T*, const T*, const T*, std::int64_t, double, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
