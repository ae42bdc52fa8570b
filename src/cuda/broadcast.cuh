// Private driver for broadcasting kernels on the GPU (src/cuda only): a cpu::BroadcastPlan by value, and
// f(i, ia, ib) called for every output index i with the operand offsets it reads (src/cpu/broadcast_loop.h).
#pragma once
#include "specnet/cpu/broadcast.h"
#include "specnet/cuda/copy.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda::detail {

struct BroadcastIndex {
  int nd = 0;
  std::int64_t n = 1;  // output elements
  std::int64_t out[kMaxDims], a[kMaxDims], b[kMaxDims];
};

inline BroadcastIndex make_broadcast_index(const char* op, const cpu::BroadcastPlan& p) {
  SPECNET_CHECK(p.out.size() <= static_cast<std::size_t>(kMaxDims), op, ": ", p.out.size(),
                " broadcast dimensions exceed the CUDA limit of ", kMaxDims);
  BroadcastIndex bi;
  bi.nd = static_cast<int>(p.out.size());
  for (int d = 0; d < bi.nd; ++d) {
    bi.out[d] = p.out[d];
    bi.a[d] = p.a_strides[d];
    bi.b[d] = p.b_strides[d];
    bi.n *= p.out[d];
  }
  return bi;
}

// Offsets of operands a and b for row-major output index i.
__device__ inline void broadcast_offsets(const BroadcastIndex& bi, std::int64_t i, std::int64_t& ia, std::int64_t& ib) {
  ia = 0;
  ib = 0;
  for (int d = bi.nd - 1; d >= 0; --d) {
    const std::int64_t s = bi.out[d], k = i % s;
    i /= s;
    ia += k * bi.a[d];
    ib += k * bi.b[d];
  }
}

}  // namespace specnet::cuda::detail
