// Axis sums on the GPU (src/cpu/sum.cpp): in (outer, n, inner) summed over n in double. Many outputs with
// short sums get one thread each (coalesced along inner); few outputs or long sums get one block each.
#include "reduce.cuh"
#include "specnet/cuda/sum.h"

namespace specnet::cuda {
namespace {

template <typename T>
__global__ void sum_block_per_output(T* out, const T* in, std::int64_t m, std::int64_t n, std::int64_t inner,
                                     double scale) {
  for (std::int64_t w = blockIdx.x; w < m; w += gridDim.x) {  // w = o * inner + i
    const std::int64_t o = w / inner, i = w % inner;
    const T* base = in + o * n * inner + i;
    double acc = 0;
    for (std::int64_t k = threadIdx.x; k < n; k += detail::kReduceThreads) acc += static_cast<double>(base[k * inner]);
    const double total = detail::block_sum(acc);
    if (threadIdx.x == 0) out[w] = static_cast<T>(scale * total);
  }
}

}  // namespace

template <typename T>
void sum_axis_forward(T* out, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner, double scale) {
  const std::int64_t m = outer * inner;
  if (m == 0) return;
  if (n == 1) {  // nothing to add up: a scaled copy
    const T s = static_cast<T>(scale);
    for_each_index("sum_axis_forward", m, [=] __device__(std::int64_t w) { out[w] = s * in[w]; });
    return;
  }
  if (inner > 1 && m >= 2048 && n <= 4096) {
    for_each_index("sum_axis_forward", m, [=] __device__(std::int64_t w) {
      const std::int64_t o = w / inner, i = w % inner;
      const T* base = in + o * n * inner + i;
      double acc = 0;
      for (std::int64_t k = 0; k < n; ++k) acc += static_cast<double>(base[k * inner]);
      out[w] = static_cast<T>(scale * acc);
    });
    return;
  }
  sum_block_per_output<T><<<blocks_for(m, 1), detail::kReduceThreads, 0, stream()>>>(out, in, m, n, inner, scale);
  SPECNET_CUDA_CHECK_LAUNCH("sum_axis_forward");
}

template <typename T>
std::int64_t count_negative(const T* p, std::int64_t n) {
  const double c =
      detail::device_sum("count_negative", n, [=] __device__(std::int64_t i) { return p[i] < T(0) ? 1 : 0; });
  return static_cast<std::int64_t>(c);
}

#define SPECNET_INSTANTIATE(T)                                                                                 \
  template void sum_axis_forward<T>(T*, const T*, std::int64_t, std::int64_t, std::int64_t, double);          \
  template std::int64_t count_negative<T>(const T*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
