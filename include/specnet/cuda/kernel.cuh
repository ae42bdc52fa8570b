// Helpers for writing CUDA kernels (include from .cu files only): error checks that turn cudaError_t /
// cublasStatus_t into specnet::Error naming the call and file:line, the specnet stream and cuBLAS handle,
// grid-stride loops over int64 sizes and an element-wise launcher taking a __device__ lambda.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "specnet/cuda/runtime.h"

namespace specnet::cuda {

cudaStream_t stream();    // the stream every specnet kernel and copy runs on (created on first use)
cublasHandle_t cublas();  // cuBLAS handle bound to stream()

[[noreturn]] void throw_cuda_error(cudaError_t e, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t s, const char* call, const char* file, int line);
// After a launch: cudaGetLastError() (bad configuration, missing sm_XX image), and with SPECNET_CUDA_SYNC=1
// also a stream synchronisation so that a faulting kernel is reported at its own launch.
void check_launch(const char* kernel, const char* file, int line);

constexpr int kThreads = 256;                       // threads per block for element-wise kernels
constexpr std::int64_t kMaxBlocks = std::int64_t{1} << 16;  // grid-stride loops cover the rest

// Blocks for n items at `threads` per block, at least 1, capped at kMaxBlocks.
inline unsigned int blocks_for(std::int64_t n, int threads = kThreads) {
  const std::int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned int>(b < 1 ? 1 : (b > kMaxBlocks ? kMaxBlocks : b));
}

template <typename F>
__global__ void for_each_index_kernel(std::int64_t n, F f) {
  const std::int64_t step = static_cast<std::int64_t>(blockDim.x) * gridDim.x;
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) f(i);
}

// Runs f(i) for i in [0, n) on the specnet stream; f is a `[=] __device__ (std::int64_t i) {...}` lambda
// (nvcc --extended-lambda). `what` names the kernel in error messages.
template <typename F>
void for_each_index(const char* what, std::int64_t n, F f) {
  if (n <= 0) return;
  for_each_index_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(n, f);
  check_launch(what, __FILE__, __LINE__);
}

}  // namespace specnet::cuda

// SPECNET_CUDA_CHECK(cudaMemcpyAsync(...)): throws specnet::Error "CUDA error in cudaMemcpyAsync(...) at
// file:line: <cudaGetErrorString>" on failure.
#define SPECNET_CUDA_CHECK(call)                                                                     \
  do {                                                                                              \
    const cudaError_t specnet_err_ = (call);                                                        \
    if (specnet_err_ != cudaSuccess) ::specnet::cuda::throw_cuda_error(specnet_err_, #call, __FILE__, __LINE__); \
  } while (0)

#define SPECNET_CUBLAS_CHECK(call)                                                                  \
  do {                                                                                              \
    const cublasStatus_t specnet_st_ = (call);                                                      \
    if (specnet_st_ != CUBLAS_STATUS_SUCCESS)                                                       \
      ::specnet::cuda::throw_cublas_error(specnet_st_, #call, __FILE__, __LINE__);                  \
  } while (0)

// After kernel<<<...>>>(...): SPECNET_CUDA_CHECK_LAUNCH("my_kernel");
#define SPECNET_CUDA_CHECK_LAUNCH(name) ::specnet::cuda::check_launch(name, __FILE__, __LINE__)

// Grid-stride loop over [0, n) with an int64 index.
#define SPECNET_CUDA_LOOP(i, n)                                                                     \
  for (std::int64_t i = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<std::int64_t>(blockDim.x) * gridDim.x)
