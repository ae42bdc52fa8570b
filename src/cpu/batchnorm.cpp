// Batch normalisation kernels (torch.nn.functional.batch_norm semantics): per-channel statistics in double,
// parallel over channels, so every channel's sums run in one fixed order whatever the thread count.
#include "specnet/cpu/batchnorm.h"

#include <cmath>

#include "accumulate.h"
#include "specnet/context.h"

namespace specnet::cpu {
namespace {
// out[:, c, :] = in * scale + shift for one channel.
template <typename T>
void scale_shift(T* out, const T* in, std::int64_t B, std::int64_t C, std::int64_t L, std::int64_t c, T scale,
                 T shift) {
  for (std::int64_t b = 0; b < B; ++b) {
    const T* x = in + (b * C + c) * L;
    T* y = out + (b * C + c) * L;
    for (std::int64_t l = 0; l < L; ++l) y[l] = x[l] * scale + shift;
  }
}
}  // namespace

template <typename T>
void batchnorm_forward_train(T* out, T* mean, T* rstd, T* running_mean, T* running_var, const T* in, const T* w,
                             const T* b, std::int64_t B, std::int64_t C, std::int64_t L, double momentum,
                             double eps) {
  const double n = static_cast<double>(B * L);
  parallel_for(C, 1, [&](std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c) {
      // Two passes (mean, then squared deviations) avoid the cancellation of E[x^2] - E[x]^2.
      double s = 0;
      for (std::int64_t i = 0; i < B; ++i) s += detail::sum_d(in + (i * C + c) * L, L);
      const double mu = s / n;
      double ss = 0;
      for (std::int64_t i = 0; i < B; ++i) ss += detail::sum_sq_dev_d(in + (i * C + c) * L, L, mu);
      const double var = ss / n, r = 1.0 / std::sqrt(var + eps);
      mean[c] = static_cast<T>(mu);
      rstd[c] = static_cast<T>(r);
      if (running_mean) running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mu);
      if (running_var)
        running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * ss / (n - 1));
      const double g = w ? static_cast<double>(w[c]) : 1.0, beta = b ? static_cast<double>(b[c]) : 0.0;
      scale_shift(out, in, B, C, L, c, static_cast<T>(g * r), static_cast<T>(beta - mu * g * r));
    }
  });
}

template <typename T>
void batchnorm_forward_eval(T* out, T* mean, T* rstd, const T* in, const T* running_mean, const T* running_var,
                            const T* w, const T* b, std::int64_t B, std::int64_t C, std::int64_t L, double eps) {
  parallel_for(C, 1, [&](std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c) {
      const double mu = running_mean[c], r = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + eps);
      mean[c] = static_cast<T>(mu);
      rstd[c] = static_cast<T>(r);
      const double g = w ? static_cast<double>(w[c]) : 1.0, beta = b ? static_cast<double>(b[c]) : 0.0;
      scale_shift(out, in, B, C, L, c, static_cast<T>(g * r), static_cast<T>(beta - mu * g * r));
    }
  });
}

template <typename T>
void batchnorm_backward(T* din, T* dw, T* db, const T* dout, const T* in, const T* w, const T* mean, const T* rstd,
                        std::int64_t B, std::int64_t C, std::int64_t L, bool training) {
  const double n = static_cast<double>(B * L);
  parallel_for(C, 1, [&](std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c) {
      const double mu = mean[c], r = rstd[c], g = w ? static_cast<double>(w[c]) : 1.0;
      // sum dout and sum dout (x - mean); xhat = (x - mean) rstd.
      double sdy = 0, sdyx = 0;
      for (std::int64_t i = 0; i < B; ++i) {
        const T* dy = dout + (i * C + c) * L;
        sdy += detail::sum_d(dy, L);
        sdyx += detail::dot_shifted_d(dy, in + (i * C + c) * L, L, mu);
      }
      if (dw) dw[c] += static_cast<T>(sdyx * r);
      if (db) db[c] += static_cast<T>(sdy);
      if (!din) continue;
      const T k = static_cast<T>(g * r);
      if (!training) {
        for (std::int64_t i = 0; i < B; ++i) {
          const T* dy = dout + (i * C + c) * L;
          T* dx = din + (i * C + c) * L;
          for (std::int64_t l = 0; l < L; ++l) dx[l] += k * dy[l];
        }
        continue;
      }
      // din = g r (dy - mean(dy) - xhat mean(dy xhat)) = k dy + a (x - mean) + e with per-channel constants.
      const double mdyx = sdyx * r * r / n;  // mean(dy xhat) r = mean(dy (x - mean)) r^2
      const T a = static_cast<T>(-g * r * mdyx), e = static_cast<T>(-g * r * sdy / n), mu_t = static_cast<T>(mu);
      for (std::int64_t i = 0; i < B; ++i) {
        const T* dy = dout + (i * C + c) * L;
        const T* x = in + (i * C + c) * L;
        T* dx = din + (i * C + c) * L;
        for (std::int64_t l = 0; l < L; ++l) dx[l] += k * dy[l] + a * (x[l] - mu_t) + e;
      }
    }
  });
}

#define SPECNET_INSTANTIATE(T)                                                                                   \
  template void batchnorm_forward_train<T>(T*, T*, T*, T*, T*, const T*, const T*, const T*, std::int64_t,      \
                                           std::int64_t, std::int64_t, double, double);                         \
  template void batchnorm_forward_eval<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*,         \
                                          std::int64_t, std::int64_t, std::int64_t, double);                    \
  template void batchnorm_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*,             \
                                      std::int64_t, std::int64_t, std::int64_t, bool);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
