// Fused Gaussian NLL on the GPU (src/cpu/gaussian_nll.cpp), as torch.nn.functional.gaussian_nll_loss:
// v = max(var, eps) (NaN stays NaN, as std::max), element losses or their double sum; a per-row variance
// gradient is summed along its row in order by one thread, as on the CPU.
#include "reduce.cuh"
#include "specnet/cuda/gaussian_nll.h"

namespace specnet::cuda {
namespace {
constexpr double kHalfLog2Pi = 0.91893853320467274178;

template <typename T>
__device__ inline T clamp_var(T v, T eps) {
  return v < eps ? eps : v;  // std::max(v, eps)
}

// Loss of element e = r * D + d.
template <typename T>
__device__ inline T element_loss(const T* in, const T* tg, const T* var, std::int64_t e, std::int64_t D, bool per_row,
                                 T eps, T c) {
  const T diff = in[e] - tg[e];
  if (per_row) {
    const T v = clamp_var(var[e / D], eps), log_v = log(v), inv_v = T(1) / v;
    return T(0.5) * (log_v + diff * diff * inv_v) + c;
  }
  const T v = clamp_var(var[e], eps);
  return T(0.5) * (log(v) + diff * diff / v) + c;
}
}  // namespace

template <typename T>
double gaussian_nll_forward(T* out, const T* in, const T* tg, const T* var, std::int64_t rows, std::int64_t D,
                            bool var_per_row, double eps, bool full) {
  const T e = static_cast<T>(eps), c = full ? static_cast<T>(kHalfLog2Pi) : T(0);
  const std::int64_t n = rows * D;
  if (!out)
    return detail::device_sum("gaussian_nll_forward", n, [=] __device__(std::int64_t i) {
      return element_loss(in, tg, var, i, D, var_per_row, e, c);
    });
  for_each_index("gaussian_nll_forward", n, [=] __device__(std::int64_t i) {
    out[i] = element_loss(in, tg, var, i, D, var_per_row, e, c);
  });
  return 0.0;
}

template <typename T>
void gaussian_nll_backward(T* din, T* dtg, T* dvar, const T* in, const T* tg, const T* var, const T* dout,
                           std::int64_t dout_stride, double scale, std::int64_t rows, std::int64_t D, bool var_per_row,
                           double eps) {
  const T e = static_cast<T>(eps), s = static_cast<T>(scale);
  const std::int64_t n = rows * D;
  if (din || dtg)
    for_each_index("gaussian_nll_backward", n, [=] __device__(std::int64_t i) {
      const T g = s * dout[i * dout_stride];
      const T diff = in[i] - tg[i];
      if (var_per_row) {
        const T inv_v = T(1) / clamp_var(var[i / D], e);
        if (din) din[i] += g * diff * inv_v;
        if (dtg) dtg[i] -= g * diff * inv_v;
      } else {
        const T v = clamp_var(var[i], e);
        if (din) din[i] += g * diff / v;
        if (dtg) dtg[i] -= g * diff / v;
      }
    });
  if (!dvar) return;
  if (var_per_row) {
    for_each_index("gaussian_nll_backward_var", rows, [=] __device__(std::int64_t r) {
      const T inv_v = T(1) / clamp_var(var[r], e);
      T acc = 0;  // summed along the row in order, as the CPU
      for (std::int64_t d = 0; d < D; ++d) {
        const std::int64_t i = r * D + d;
        const T diff = in[i] - tg[i];
        acc += s * dout[i * dout_stride] * (T(1) - diff * diff * inv_v);
      }
      dvar[r] += T(0.5) * inv_v * acc;
    });
  } else {
    for_each_index("gaussian_nll_backward_var", n, [=] __device__(std::int64_t i) {
      const T inv_v = T(1) / clamp_var(var[i], e), diff = in[i] - tg[i];
      dvar[i] += s * dout[i * dout_stride] * T(0.5) * inv_v * (T(1) - diff * diff * inv_v);
    });
  }
}

#define SPECNET_INSTANTIATE(T)                                                                                        \
  template double gaussian_nll_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t, bool, double, \
                                          bool);                                                                      \
  template void gaussian_nll_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, std::int64_t, double,    \
                                         std::int64_t, std::int64_t, bool, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
