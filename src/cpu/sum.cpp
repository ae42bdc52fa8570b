// Axis sums in fixed work items: each output element is summed by one item in a fixed order (blocked
// 8-lane sums when reducing the innermost dim), so results are identical for any thread count.
#include "specnet/cpu/sum.h"

#include <algorithm>

#include "unary_loop.h"

namespace specnet::cpu {
namespace {
constexpr std::int64_t kInnerBlock = 256;  // output columns per work item when inner > 1
}

template <typename T>
void sum_axis_forward(T* out, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner, double scale) {
  if (n == 1) {  // nothing to add up: a scaled copy
    const T s = static_cast<T>(scale);
    detail::unary_map(out, in, outer * inner, [=](T x) { return s * x; });
    return;
  }
  if (inner == 1 && outer == 1) {
    out[0] = static_cast<T>(scale * detail::blocked_sum(n, [=](std::int64_t i) { return in[i]; }));
    return;
  }
  if (inner == 1) {
    // one row per output: 8-lane sums along the contiguous row
    parallel_for(outer, std::max<std::int64_t>(1, detail::kGrain / std::max<std::int64_t>(n, 1)),
                 [=](std::int64_t o0, std::int64_t o1) {
                   for (std::int64_t o = o0; o < o1; ++o) {
                     const T* row = in + o * n;
                     double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                     std::int64_t k = 0;
                     for (; k + 8 <= n; k += 8)
                       for (int j = 0; j < 8; ++j) lane[j] += row[k + j];
                     for (; k < n; ++k) lane[0] += row[k];
                     double s =
                         ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
                     out[o] = static_cast<T>(scale * s);
                   }
                 });
    return;
  }
  // work item = (o, block of up to kInnerBlock output columns); the k loop runs whole inside the item
  const std::int64_t nib = (inner + kInnerBlock - 1) / kInnerBlock;
  const std::int64_t grain = std::max<std::int64_t>(1, detail::kGrain / std::max<std::int64_t>(n * kInnerBlock, 1));
  parallel_for(outer * nib, grain, [=](std::int64_t w0, std::int64_t w1) {
    double acc[kInnerBlock];
    for (std::int64_t w = w0; w < w1; ++w) {
      const std::int64_t o = w / nib, i0 = (w % nib) * kInnerBlock, len = std::min(kInnerBlock, inner - i0);
      std::fill(acc, acc + len, 0.0);
      const T* base = in + o * n * inner + i0;
      for (std::int64_t k = 0; k < n; ++k)
        for (std::int64_t i = 0; i < len; ++i) acc[i] += base[k * inner + i];
      for (std::int64_t i = 0; i < len; ++i) out[o * inner + i0 + i] = static_cast<T>(scale * acc[i]);
    }
  });
}

template void sum_axis_forward<float>(float*, const float*, std::int64_t, std::int64_t, std::int64_t, double);
template void sum_axis_forward<double>(double*, const double*, std::int64_t, std::int64_t, std::int64_t, double);

}  // namespace specnet::cpu
