// Private driver for broadcasting kernels (src/cpu only): walks a BroadcastPlan in fixed chunks and hands
// the kernel contiguous runs of the innermost dim with compile-time operand strides (0 or 1).
#pragma once
#include <algorithm>
#include <type_traits>
#include <vector>

#include "specnet/context.h"
#include "specnet/cpu/broadcast.h"

namespace specnet::cpu::detail {

using S0 = std::integral_constant<std::int64_t, 0>;
using S1 = std::integral_constant<std::int64_t, 1>;

// Calls run(sa, sb, i, ia, ib, len) for runs of `len` output elements starting at linear index i, where
// operand a is at ia + j * sa and b at ib + j * sb (sa, sb integral constants 0 or 1). Chunks of `grain`
// output elements are fixed, so results never depend on the thread count.
template <typename Run>
void for_each_broadcast(const BroadcastPlan& p, std::int64_t grain, Run run) {
  const std::int64_t nd = static_cast<std::int64_t>(p.out.size());
  std::int64_t n = 1;
  for (std::int64_t s : p.out) n *= s;
  const std::int64_t inner = p.out[nd - 1], ia1 = p.a_strides[nd - 1], ib1 = p.b_strides[nd - 1];
  auto dispatch = [&](std::int64_t i, std::int64_t ia, std::int64_t ib, std::int64_t len) {
    if (ia1 && ib1)
      run(S1{}, S1{}, i, ia, ib, len);
    else if (ia1)
      run(S1{}, S0{}, i, ia, ib, len);
    else if (ib1)
      run(S0{}, S1{}, i, ia, ib, len);
    else
      run(S0{}, S0{}, i, ia, ib, len);
  };
  parallel_for(n, grain, [&](std::int64_t begin, std::int64_t end) {
    // multi-index of `begin` and the operand offsets it maps to
    std::vector<std::int64_t> idx(static_cast<std::size_t>(nd));
    std::int64_t rem = begin, ia = 0, ib = 0;
    for (std::int64_t d = nd - 1; d >= 0; --d) {
      idx[d] = rem % p.out[d];
      rem /= p.out[d];
      ia += idx[d] * p.a_strides[d];
      ib += idx[d] * p.b_strides[d];
    }
    std::int64_t i = begin;
    while (i < end) {
      const std::int64_t len = std::min(inner - idx[nd - 1], end - i);
      dispatch(i, ia, ib, len);
      i += len;
      if (i >= end) break;
      // the run reached the end of the inner dim: rewind it (ia/ib are still at the run's start) and
      // step the outer odometer
      ia -= idx[nd - 1] * ia1;
      ib -= idx[nd - 1] * ib1;
      idx[nd - 1] = 0;
      for (std::int64_t d = nd - 2; d >= 0; --d) {
        if (++idx[d] < p.out[d]) {
          ia += p.a_strides[d];
          ib += p.b_strides[d];
          break;
        }
        ia -= p.a_strides[d] * (p.out[d] - 1);
        ib -= p.b_strides[d] * (p.out[d] - 1);
        idx[d] = 0;
      }
    }
  });
}

}  // namespace specnet::cpu::detail
