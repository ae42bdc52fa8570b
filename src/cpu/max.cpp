// Axis max with first-index tie breaking (torch.max(dim) semantics). A global max (outer = inner = 1)
// is split into fixed blocks whose (value, index) winners are combined in block order.
#include "specnet/cpu/max.h"

#include <algorithm>
#include <vector>

#include "unary_loop.h"

namespace specnet::cpu {
namespace {
// true when v should replace the current best: strictly larger, or the first NaN
template <typename T>
inline bool better(T v, T best) {
  return v > best || (v != v && best == best);
}

// first maximum of in[s * stride] for s in [b, e)
template <typename T>
void scan(const T* in, std::int64_t stride, std::int64_t b, std::int64_t e, T& best, std::int64_t& at) {
  best = in[b * stride];
  at = b;
  for (std::int64_t s = b + 1; s < e; ++s)
    if (better(in[s * stride], best)) {
      best = in[s * stride];
      at = s;
    }
}
}  // namespace

template <typename T>
void max_axis_forward(T* out, std::int64_t* idx, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner) {
  if (outer == 1 && inner == 1) {
    const std::int64_t blocks = (n + detail::kGrain - 1) / detail::kGrain;
    std::vector<T> bv(static_cast<std::size_t>(blocks));
    std::vector<std::int64_t> bi(static_cast<std::size_t>(blocks));
    parallel_for(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
      for (std::int64_t b = b0; b < b1; ++b)
        scan(in, 1, b * detail::kGrain, std::min(n, (b + 1) * detail::kGrain), bv[b], bi[b]);
    });
    T best = bv[0];
    std::int64_t at = bi[0];
    for (std::int64_t b = 1; b < blocks; ++b)
      if (better(bv[b], best)) {
        best = bv[b];
        at = bi[b];
      }
    out[0] = best;
    idx[0] = at;
    return;
  }
  const std::int64_t m = outer * inner;
  parallel_for(m, std::max<std::int64_t>(1, detail::kGrain / n), [=](std::int64_t w0, std::int64_t w1) {
    for (std::int64_t w = w0; w < w1; ++w) {
      const std::int64_t o = w / inner, i = w % inner;
      scan(in + o * n * inner + i, inner, 0, n, out[w], idx[w]);
    }
  });
}

template <typename T>
void max_axis_backward(T* din, const std::int64_t* idx, const T* dout, std::int64_t outer, std::int64_t n,
                       std::int64_t inner) {
  // each (o, i) owns its own column of din, so items never collide
  parallel_for(outer * inner, detail::kGrain, [=](std::int64_t w0, std::int64_t w1) {
    for (std::int64_t w = w0; w < w1; ++w) {
      const std::int64_t o = w / inner, i = w % inner;
      din[(o * n + idx[w]) * inner + i] += dout[w];
    }
  });
}

#define SPECNET_INSTANTIATE(T)                                                                              \
  template void max_axis_forward<T>(T*, std::int64_t*, const T*, std::int64_t, std::int64_t, std::int64_t); \
  template void max_axis_backward<T>(T*, const std::int64_t*, const T*, std::int64_t, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
