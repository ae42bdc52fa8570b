// Private loop helpers for element-wise kernels (src/cpu only): fixed-grain parallel maps whose inner
// loops are plain, inlined lambdas the compiler can vectorise (no per-element std::function).
#pragma once
#include <cstdint>
#include <memory>

#include "specnet/context.h"

namespace specnet::cpu::detail {

constexpr std::int64_t kGrain = 1 << 14;

// out[i] = f(in[i]) over n elements.
template <typename T, typename F>
void unary_map(T* out, const T* in, std::int64_t n, F f) {
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) out[i] = f(in[i]);
  });
}

// din[i] += dout[i] * g(in[i], out[i]) over n elements (g is the local derivative).
template <typename T, typename G>
void unary_grad(T* din, const T* in, const T* out, const T* dout, std::int64_t n, G g) {
  parallel_for(n, kGrain, [=](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) din[i] += dout[i] * g(in[i], out[i]);
  });
}

// Sum of f(i) over [0, n) in double: fixed blocks of kGrain summed with 8 lane accumulators, then the
// block partials added in block order, so the result is identical for any thread count.
template <typename F>
double blocked_sum(std::int64_t n, F f) {
  if (n <= 0) return 0.0;
  const std::int64_t blocks = (n + kGrain - 1) / kGrain;
  double partial_local[64];
  double* partial = partial_local;
  std::unique_ptr<double[]> heap;
  if (blocks > 64) {
    heap.reset(new double[static_cast<std::size_t>(blocks)]);
    partial = heap.get();
  }
  parallel_for(blocks, 1, [=](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      const std::int64_t s = blk * kGrain, e = s + kGrain < n ? s + kGrain : n;
      double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      std::int64_t i = s;
      for (; i + 8 <= e; i += 8)
        for (int j = 0; j < 8; ++j) lane[j] += static_cast<double>(f(i + j));
      for (; i < e; ++i) lane[0] += static_cast<double>(f(i));
      partial[blk] = ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    }
  });
  double total = 0;
  for (std::int64_t blk = 0; blk < blocks; ++blk) total += partial[blk];
  return total;
}

}  // namespace specnet::cpu::detail
