// Axis max on the GPU (src/cpu/max.cpp) with torch.max(dim)'s rules: the first maximal index wins, and the
// first NaN wins over numbers. Candidates are merged by (value, index), so any split gives the CPU's answer.
#include "reduce.cuh"
#include "specnet/cuda/max.h"

namespace specnet::cuda {
namespace {

// true when candidate (v, i) beats (best, at); at < 0 marks "no candidate yet"
template <typename T>
__device__ inline bool beats(T v, std::int64_t i, T best, std::int64_t at) {
  if (at < 0) return true;
  const bool vn = v != v, bn = best != best;
  if (vn != bn) return vn;                  // a NaN beats any number
  if (!vn && v != best) return v > best;    // larger number
  return i < at;                            // equal (or both NaN): the first index
}

template <typename T>
__global__ void max_block_per_output(T* out, std::int64_t* idx, const T* in, std::int64_t m, std::int64_t n,
                                     std::int64_t inner) {
  __shared__ T best_v[detail::kReduceThreads];
  __shared__ std::int64_t best_i[detail::kReduceThreads];
  for (std::int64_t w = blockIdx.x; w < m; w += gridDim.x) {  // w = o * inner + i
    const std::int64_t o = w / inner, c = w % inner;
    const T* base = in + o * n * inner + c;
    T bv = T(0);
    std::int64_t bi = -1;
    for (std::int64_t k = threadIdx.x; k < n; k += detail::kReduceThreads)
      if (beats(base[k * inner], k, bv, bi)) {
        bv = base[k * inner];
        bi = k;
      }
    best_v[threadIdx.x] = bv;
    best_i[threadIdx.x] = bi;
    __syncthreads();
    for (int s = detail::kReduceThreads / 2; s > 0; s >>= 1) {
      const int t = static_cast<int>(threadIdx.x);
      if (t < s && best_i[t + s] >= 0 && beats(best_v[t + s], best_i[t + s], best_v[t], best_i[t])) {
        best_v[t] = best_v[t + s];
        best_i[t] = best_i[t + s];
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      out[w] = best_v[0];
      idx[w] = best_i[0];
    }
    __syncthreads();  // the shared arrays are reused for the next output
  }
}

}  // namespace

template <typename T>
void max_axis_forward(T* out, std::int64_t* idx, const T* in, std::int64_t outer, std::int64_t n, std::int64_t inner) {
  const std::int64_t m = outer * inner;
  if (m == 0 || n <= 0) return;
  if (inner > 1 && m >= 2048 && n <= 4096) {
    for_each_index("max_axis_forward", m, [=] __device__(std::int64_t w) {
      const std::int64_t o = w / inner, c = w % inner;
      const T* base = in + o * n * inner + c;
      T bv = base[0];
      std::int64_t bi = 0;
      for (std::int64_t k = 1; k < n; ++k)
        if (beats(base[k * inner], k, bv, bi)) {
          bv = base[k * inner];
          bi = k;
        }
      out[w] = bv;
      idx[w] = bi;
    });
    return;
  }
  max_block_per_output<T><<<blocks_for(m, 1), detail::kReduceThreads, 0, stream()>>>(out, idx, in, m, n, inner);
  SPECNET_CUDA_CHECK_LAUNCH("max_axis_forward");
}

template <typename T>
void max_axis_backward(T* din, const std::int64_t* idx, const T* dout, std::int64_t outer, std::int64_t n,
                       std::int64_t inner) {
  // each (o, i) owns its own column of din, so threads never collide
  for_each_index("max_axis_backward", outer * inner, [=] __device__(std::int64_t w) {
    const std::int64_t o = w / inner, c = w % inner;
    din[(o * n + idx[w]) * inner + c] += dout[w];
  });
}

template <typename T>
void indices_to_values(T* out, const std::int64_t* idx, std::int64_t m) {
  for_each_index("indices_to_values", m, [=] __device__(std::int64_t i) { out[i] = static_cast<T>(idx[i]); });
}

#define SPECNET_INSTANTIATE(T)                                                                              \
  template void max_axis_forward<T>(T*, std::int64_t*, const T*, std::int64_t, std::int64_t, std::int64_t); \
  template void max_axis_backward<T>(T*, const std::int64_t*, const T*, std::int64_t, std::int64_t,         \
                                     std::int64_t);                                                         \
  template void indices_to_values<T>(T*, const std::int64_t*, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
