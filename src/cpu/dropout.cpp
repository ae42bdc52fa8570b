// Dropout mask from counter-based Philox blocks: element i depends only on (seed, stream, first + i), so
// the mask is the same for any thread count and on any backend. Philox runs 16 counters at a time in
// plain lane loops (vectorised), bit-identical to Rng::block / Rng::uniform_from.
#include "specnet/cpu/dropout.h"

#include <cmath>

#include "unary_loop.h"

namespace specnet::cpu {
namespace {
constexpr int kLanes = 16;

// keep[j] for elements [i0, i0 + len), len <= kLanes: uniform_from(rng.block(first + i)) > p, evaluated as
// m >= threshold on the 53-bit integer m behind the uniform (m + 1) 2^-53, which is exact.
void keep_lanes(bool* keep, const Rng& rng, std::uint64_t first, std::int64_t i0, int len, std::uint64_t threshold) {
  const std::uint32_t s0 = static_cast<std::uint32_t>(rng.stream()),
                      s1 = static_cast<std::uint32_t>(rng.stream() >> 32);
  const std::uint32_t key0 = static_cast<std::uint32_t>(rng.seed()),
                      key1 = static_cast<std::uint32_t>(rng.seed() >> 32);
  std::uint64_t m[kLanes];
  for (int j = 0; j < kLanes; ++j) {  // lanes are independent: the compiler runs them in vector registers
    const std::uint64_t index = first + static_cast<std::uint64_t>(i0 + j);
    std::uint32_t c0 = static_cast<std::uint32_t>(index), c1 = static_cast<std::uint32_t>(index >> 32), c2 = s0,
                  c3 = s1, k0 = key0, k1 = key1;
    for (int round = 0; round < 10; ++round) {  // the rounds of philox4x32 in rng.h
      const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * c0;
      const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * c2;
      c0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
      c1 = static_cast<std::uint32_t>(p1);
      c2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
      c3 = static_cast<std::uint32_t>(p0);
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    m[j] = ((static_cast<std::uint64_t>(c0) << 21) ^ (c1 >> 11)) & ((1ull << 53) - 1);  // as u32_to_unit
  }
  for (int j = 0; j < len; ++j) keep[j] = m[j] >= threshold;
}
}  // namespace

template <typename T>
void dropout_forward(T* out, T* mask, const T* in, std::int64_t n, double p, const Rng& rng, std::uint64_t first) {
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  // u = (m + 1) 2^-53 > p  <=>  m + 1 > p 2^53  <=>  m >= floor(p 2^53) (p 2^53 is exact, below 2^53)
  const std::uint64_t threshold = static_cast<std::uint64_t>(std::floor(p * 9007199254740992.0));
  parallel_for(n, detail::kGrain, [=](std::int64_t b, std::int64_t e) {  // rng by value: no aliasing
    bool keep[kLanes];
    for (std::int64_t i0 = b; i0 < e; i0 += kLanes) {
      const int len = static_cast<int>(std::min<std::int64_t>(kLanes, e - i0));
      keep_lanes(keep, rng, first, i0, len, threshold);
      for (int j = 0; j < len; ++j) mask[i0 + j] = keep[j] ? scale : T(0);
    }
    for (std::int64_t i = b; i < e; ++i) out[i] = in[i] * mask[i];
  });
}

template <typename T>
void dropout_backward(T* din, const T* mask, const T* dout, std::int64_t n) {
  detail::unary_grad(din, mask, mask, dout, n, [](T m, T) { return m; });
}

template void dropout_forward<float>(float*, float*, const float*, std::int64_t, double, const Rng&, std::uint64_t);
template void dropout_forward<double>(double*, double*, const double*, std::int64_t, double, const Rng&, std::uint64_t);
template void dropout_backward<float>(float*, const float*, const float*, std::int64_t);
template void dropout_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cpu
