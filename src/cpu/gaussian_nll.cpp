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
}

template <typename T>
double gaussian_nll_forward(T* out, const T* in, const T* tg, const T* var, std::int64_t rows, std::int64_t D,
                            bool var_per_row, double eps, bool full) {
  const std::int64_t group = std::max<std::int64_t>(1, detail::kGrain / std::max<std::int64_t>(D, 1));
  const std::int64_t items = (rows + group - 1) / group;
  const T e = static_cast<T>(eps), c = full ? static_cast<T>(kHalfLog2Pi) : T(0);
  std::vector<double> partial(static_cast<std::size_t>(out ? 0 : items));
  double* part = partial.data();
  parallel_for(items, 1, [=](std::int64_t w0, std::int64_t w1) {
    for (std::int64_t w = w0; w < w1; ++w) {
      double total = 0;
      for (std::int64_t r = w * group; r < std::min(rows, (w + 1) * group); ++r) {
        const T* x = in + r * D;
        const T* t = tg + r * D;
        double row = 0;
        for (std::int64_t d = 0; d < D; ++d) {
          const T v = std::max(var_per_row ? var[r] : var[r * D + d], e);
          const T l = T(0.5) * (std::log(v) + (x[d] - t[d]) * (x[d] - t[d]) / v) + c;
          if (out)
            out[r * D + d] = l;
          else
            row += static_cast<double>(l);
        }
        total += row;
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
  parallel_for(rows, group, [=](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      T dv_row = 0;
      for (std::int64_t d = 0; d < D; ++d) {
        const std::int64_t i = r * D + d;
        const T v = std::max(var_per_row ? var[r] : var[i], e);
        const T g = s * dout[i * dout_stride], diff = in[i] - tg[i];
        if (din) din[i] += g * diff / v;
        if (dtg) dtg[i] -= g * diff / v;
        const T dv = g * T(0.5) * (T(1) / v - diff * diff / (v * v));
        if (var_per_row)
          dv_row += dv;
        else if (dvar)
          dvar[i] += dv;
      }
      if (var_per_row && dvar) dvar[r] += dv_row;
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
