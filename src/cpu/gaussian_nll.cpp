// Fused Gaussian NLL (torch.nn.functional.gaussian_nll_loss). Work items are fixed groups of whole rows,
// so a per-row variance gradient is summed inside one item and sums never depend on the thread count.
#include "specnet/cpu/gaussian_nll.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "unary_loop.h"

namespace specnet::cpu {
namespace {
constexpr double kHalfLog2Pi = 0.91893853320467274178;

// Element losses of one row (D values). With one variance per row, log and 1/v are taken once.
template <typename T>
void row_losses(T* l, const T* x, const T* t, const T* var, bool per_row, T eps, T c, std::int64_t D) {
  if (per_row) {
    const T v = std::max(var[0], eps), log_v = std::log(v), inv_v = T(1) / v;
    for (std::int64_t d = 0; d < D; ++d) l[d] = T(0.5) * (log_v + (x[d] - t[d]) * (x[d] - t[d]) * inv_v) + c;
  } else {
    for (std::int64_t d = 0; d < D; ++d) {
      const T v = std::max(var[d], eps);
      l[d] = T(0.5) * (std::log(v) + (x[d] - t[d]) * (x[d] - t[d]) / v) + c;
    }
  }
}

// Gradients of one row; g_d = scale * dout[d] (or dout[0] when ScalarDout). Accumulates; any of din,
// dtg, dvar may be null. dvar is (D) or, with per_row, (1).
template <bool ScalarDout, typename T>
void row_grads(T* din, T* dtg, T* dvar, const T* x, const T* t, const T* var, const T* dout, bool per_row, T eps,
               T scale, std::int64_t D) {
  auto g = [=](std::int64_t d) { return scale * dout[ScalarDout ? 0 : d]; };
  if (per_row) {
    const T inv_v = T(1) / std::max(var[0], eps);
    if (din)
      for (std::int64_t d = 0; d < D; ++d) din[d] += g(d) * (x[d] - t[d]) * inv_v;
    if (dtg)
      for (std::int64_t d = 0; d < D; ++d) dtg[d] -= g(d) * (x[d] - t[d]) * inv_v;
    if (dvar) {
      T acc = 0;  // summed along the row in order: deterministic
      for (std::int64_t d = 0; d < D; ++d) acc += g(d) * (T(1) - (x[d] - t[d]) * (x[d] - t[d]) * inv_v);
      dvar[0] += T(0.5) * inv_v * acc;
    }
    return;
  }
  if (din)
    for (std::int64_t d = 0; d < D; ++d) din[d] += g(d) * (x[d] - t[d]) / std::max(var[d], eps);
  if (dtg)
    for (std::int64_t d = 0; d < D; ++d) dtg[d] -= g(d) * (x[d] - t[d]) / std::max(var[d], eps);
  if (dvar)
    for (std::int64_t d = 0; d < D; ++d) {
      const T inv_v = T(1) / std::max(var[d], eps), diff = x[d] - t[d];
      dvar[d] += g(d) * T(0.5) * inv_v * (T(1) - diff * diff * inv_v);
    }
}
}  // namespace

template <typename T>
double gaussian_nll_forward(T* out, const T* in, const T* tg, const T* var, std::int64_t rows, std::int64_t D,
                            bool var_per_row, double eps, bool full) {
  const std::int64_t group = std::max<std::int64_t>(1, detail::kGrain / std::max<std::int64_t>(D, 1));
  const std::int64_t items = (rows + group - 1) / group;
  const T e = static_cast<T>(eps), c = full ? static_cast<T>(kHalfLog2Pi) : T(0);
  const std::int64_t var_stride = var_per_row ? 1 : D;
  std::vector<double> partial(static_cast<std::size_t>(out ? 0 : items));
  double* part = partial.data();
  parallel_for(items, 1, [=](std::int64_t w0, std::int64_t w1) {
    std::vector<T> scratch(out ? 0 : static_cast<std::size_t>(D));  // (D) element losses of one row
    for (std::int64_t w = w0; w < w1; ++w) {
      double total = 0;
      for (std::int64_t r = w * group; r < std::min(rows, (w + 1) * group); ++r) {
        T* l = out ? out + r * D : scratch.data();
        row_losses(l, in + r * D, tg + r * D, var + r * var_stride, var_per_row, e, c, D);
        if (!out) total += detail::lane_sum(0, D, [l](std::int64_t d) { return l[d]; });
      }
      if (!out) part[w] = total;
    }
  });
  double sum = 0;
  for (double p : partial) sum += p;
  return sum;
}

template <typename T>
void gaussian_nll_backward(T* din, T* dtg, T* dvar, const T* in, const T* tg, const T* var, const T* dout,
                           std::int64_t dout_stride, double scale, std::int64_t rows, std::int64_t D, bool var_per_row,
                           double eps) {
  const std::int64_t group = std::max<std::int64_t>(1, detail::kGrain / std::max<std::int64_t>(D, 1));
  const T e = static_cast<T>(eps), s = static_cast<T>(scale);
  const std::int64_t var_stride = var_per_row ? 1 : D;
  parallel_for(rows, group, [=](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      const std::int64_t o = r * D;
      T* dx = din ? din + o : nullptr;
      T* dt = dtg ? dtg + o : nullptr;
      T* dv = dvar ? dvar + r * var_stride : nullptr;
      if (dout_stride == 0)
        row_grads<true>(dx, dt, dv, in + o, tg + o, var + r * var_stride, dout, var_per_row, e, s, D);
      else
        row_grads<false>(dx, dt, dv, in + o, tg + o, var + r * var_stride, dout + o, var_per_row, e, s, D);
    }
  });
}

#define SPECNET_INSTANTIATE(T)                                                                                        \
  template double gaussian_nll_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t, bool, double, \
                                          bool);                                                                      \
  template void gaussian_nll_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, std::int64_t, double,    \
                                         std::int64_t, std::int64_t, bool, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
