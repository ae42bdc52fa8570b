// torch.cat kernels: work items are fixed column blocks of each output row, so a single huge row
// (concatenation along dim 0) is still split across threads, and no two items touch the same element.
#include "specnet/cpu/concat.h"

#include <algorithm>
#include <vector>

#include "unary_loop.h"

namespace specnet::cpu {
namespace {
// Calls f(j, o, c0, c1, out_col0) for every piece of input j inside output-row block [b, e) of row o,
// where [c0, c1) are input-j columns and out_col0 is the output column of c0.
template <typename F>
void for_each_piece(const std::int64_t* widths, std::int64_t k, std::int64_t outer, F f) {
  std::int64_t W = 0;
  std::vector<std::int64_t> start(static_cast<std::size_t>(k));
  for (std::int64_t j = 0; j < k; ++j) {
    start[j] = W;
    W += widths[j];
  }
  if (W == 0) return;
  const std::int64_t blocks = (W + detail::kGrain - 1) / detail::kGrain;
  parallel_for(outer * blocks, std::max<std::int64_t>(1, detail::kGrain / W), [&](std::int64_t w0, std::int64_t w1) {
    for (std::int64_t w = w0; w < w1; ++w) {
      const std::int64_t o = w / blocks, b = (w % blocks) * detail::kGrain, e = std::min(W, b + detail::kGrain);
      for (std::int64_t j = 0; j < k; ++j) {
        const std::int64_t lo = std::max(b, start[j]), hi = std::min(e, start[j] + widths[j]);
        if (lo < hi) f(j, o, lo - start[j], hi - start[j], o * W + lo);
      }
    }
  });
}
}  // namespace

template <typename T>
void concat_forward(T* out, const T* const* ins, const std::int64_t* widths, std::int64_t k, std::int64_t outer) {
  for_each_piece(widths, k, outer,
                 [&](std::int64_t j, std::int64_t o, std::int64_t c0, std::int64_t c1, std::int64_t oc) {
                   std::copy(ins[j] + o * widths[j] + c0, ins[j] + o * widths[j] + c1, out + oc);
                 });
}

template <typename T>
void concat_backward(T* const* dins, const T* dout, const std::int64_t* widths, std::int64_t k, std::int64_t outer) {
  for_each_piece(widths, k, outer,
                 [&](std::int64_t j, std::int64_t o, std::int64_t c0, std::int64_t c1, std::int64_t oc) {
                   if (!dins[j]) return;
                   T* d = dins[j] + o * widths[j];
                   for (std::int64_t c = c0; c < c1; ++c) d[c] += dout[oc + (c - c0)];
                 });
}

#define SPECNET_INSTANTIATE(T)                                                                           \
  template void concat_forward<T>(T*, const T* const*, const std::int64_t*, std::int64_t, std::int64_t); \
  template void concat_backward<T>(T* const*, const T*, const std::int64_t*, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
