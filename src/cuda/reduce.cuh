// Private reduction helpers for src/cuda: block-wide sums in double, and device_sum(n, f) = sum of f(i)
// over [0, n) in double with a fixed number of blocks for a given n, so the result is run-to-run identical.
#pragma once
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda::detail {

constexpr int kReduceThreads = 512;  // threads per block of every reduction kernel (a power of two)

// Sum of v over the block (all threads must call it); the total is valid in thread 0.
__device__ inline double block_sum(double v) {
  __shared__ double part[kReduceThreads];
  part[threadIdx.x] = v;
  __syncthreads();
  for (int s = kReduceThreads / 2; s > 0; s >>= 1) {
    if (static_cast<int>(threadIdx.x) < s) part[threadIdx.x] += part[threadIdx.x + s];
    __syncthreads();
  }
  const double total = part[0];
  __syncthreads();  // part[] may be reused by the caller's next block_sum
  return total;
}

template <typename F>
__global__ void partial_sums_kernel(double* partial, std::int64_t n, F f) {
  double acc = 0;
  const std::int64_t step = static_cast<std::int64_t>(gridDim.x) * kReduceThreads;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * kReduceThreads + threadIdx.x; i < n; i += step)
    acc += static_cast<double>(f(i));
  const double total = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

template <typename T>  // a template so that every .cu including this header may instantiate it
__global__ void final_sum_kernel(T* result, const T* partial, int count) {
  T acc = 0;
  for (int i = threadIdx.x; i < count; i += kReduceThreads) acc += partial[i];
  const double total = block_sum(acc);
  if (threadIdx.x == 0) *result = total;
}

// Device scratch from the caching allocator, released at scope exit.
struct Scratch {
  void* p = nullptr;
  std::size_t nbytes = 0;
  explicit Scratch(std::size_t n) : p(device_alloc(n)), nbytes(n) {}
  ~Scratch() { device_free(p, nbytes); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// sum_{i < n} f(i) in double, returned to the host (waits for the stream). f: [=] __device__ (int64) -> number.
template <typename F>
double device_sum(const char* what, std::int64_t n, F f) {
  if (n <= 0) return 0.0;
  const unsigned int full = blocks_for(n, kReduceThreads);
  const int blocks = static_cast<int>(full < 1024u ? full : 1024u);
  Scratch scratch((blocks + 1) * sizeof(double));
  double* partial = static_cast<double*>(scratch.p);
  partial_sums_kernel<<<blocks, kReduceThreads, 0, stream()>>>(partial + 1, n, f);
  check_launch(what, __FILE__, __LINE__);
  final_sum_kernel<double><<<1, kReduceThreads, 0, stream()>>>(partial, partial + 1, blocks);
  check_launch(what, __FILE__, __LINE__);
  double result = 0;
  copy_to_host(&result, partial, sizeof(double));
  return result;
}

}  // namespace specnet::cuda::detail
