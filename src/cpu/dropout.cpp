// Dropout mask from counter-based Philox blocks: element i depends only on (seed, stream, first + i), so
// the mask is the same for any thread count and on any backend.
#include "specnet/cpu/dropout.h"

#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void dropout_forward(T* out, T* mask, const T* in, std::int64_t n, double p, const Rng& rng, std::uint64_t first) {
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  parallel_for(n, detail::kGrain, [=, &rng](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      // uniform in (0, 1]: p = 0 keeps everything
      const bool keep = Rng::uniform_from(rng.block(first + static_cast<std::uint64_t>(i))) > p;
      mask[i] = keep ? scale : T(0);
    }
    for (std::int64_t i = b; i < e; ++i) out[i] = in[i] * mask[i];
  });
}

template <typename T>
void dropout_backward(T* din, const T* mask, const T* dout, std::int64_t n) {
  detail::unary_grad(din, mask, mask, dout, n, [](T m, T) { return m; });
}

#define SPECNET_INSTANTIATE(T)                                                                         \
  template void dropout_forward<T>(T*, T*, const T*, std::int64_t, double, const Rng&, std::uint64_t); \
  template void dropout_backward<T>(T*, const T*, const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
