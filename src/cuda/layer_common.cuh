// Private helpers for the CUDA layer kernels (src/cuda/{linear,conv1d,...}.cu) on top of specnet/cuda/kernel.cuh:
// row-major cuBLAS GEMMs, workspace buffers and a deterministic per-channel reduction (no atomics).
#pragma once
#include <algorithm>
#include <climits>
#include <cstdint>

#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda::detail {

// A device buffer of n elements from the caching allocator, returned to it at scope exit. Every kernel runs on
// cuda::stream(), so a block freed after queuing the kernels that use it can be handed out again at once.
template <typename T>
class Workspace {
 public:
  explicit Workspace(std::int64_t n)
      : bytes_(static_cast<std::size_t>(std::max<std::int64_t>(n, 1)) * sizeof(T)),
        p_(static_cast<T*>(device_alloc(bytes_))) {}
  ~Workspace() { device_free(p_, bytes_); }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  T* get() const { return p_; }

 private:
  std::size_t bytes_;
  T* p_;
};

// cuBLAS takes int dimensions; larger problems are refused with a clear message.
inline int blas_dim(std::int64_t v, const char* what) {
  SPECNET_CHECK(v >= 0 && v <= INT_MAX, "cuda: GEMM dimension ", what, " = ", v, " exceeds the cuBLAS int range");
  return static_cast<int>(v);
}

// C (m, n) = alpha op(A) op(B) + beta C with all matrices row-major (lda, ldb, ldc: row strides); op(A) is
// (m, k), op(B) is (k, n). cuBLAS is column-major, where a row-major X reads as X^T, so it computes
// C^T = op(B)^T op(A)^T: the operands swap and m, n swap.
template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc);

// The same for `batch` independent products C_b = alpha op(A_b) op(B_b) + beta C_b with X_b = X + b stride_x
// (stride 0 shares one matrix); k must be positive.
template <typename T>
void gemm_batched(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A,
                  std::int64_t lda, std::int64_t stride_a, const T* B, std::int64_t ldb, std::int64_t stride_b, T beta,
                  T* C, std::int64_t ldc, std::int64_t stride_c, std::int64_t batch);

// Per-channel sums over (B, C, L) data: sums[c] = (sum_{b,l} f(b, c, l).x, ... .y) in double, through fixed
// slices (partials in slice order), so the result is the same on every run and every GPU.
// F is a device functor: double2 operator()(std::int64_t b, std::int64_t c, std::int64_t l) const.
constexpr std::int64_t kSlice = 8192;  // (b, l) pairs per block in the first pass

template <typename F>
__global__ void channel_partial_kernel(double2* partial, F f, std::int64_t B, std::int64_t C, std::int64_t L,
                                       std::int64_t slices) {
  __shared__ double s1[kThreads], s2[kThreads];
  const std::int64_t n = B * L;
  for (std::int64_t c = blockIdx.y; c < C; c += gridDim.y) {
    for (std::int64_t s = blockIdx.x; s < slices; s += gridDim.x) {
      const std::int64_t j0 = s * kSlice, j1 = j0 + kSlice < n ? j0 + kSlice : n;
      double a = 0, b2 = 0;
      for (std::int64_t j = j0 + threadIdx.x; j < j1; j += blockDim.x) {
        const double2 v = f(j / L, c, j % L);
        a += v.x;
        b2 += v.y;
      }
      s1[threadIdx.x] = a;
      s2[threadIdx.x] = b2;
      __syncthreads();
      for (int w = blockDim.x / 2; w > 0; w >>= 1) {  // fixed tree: deterministic
        if (threadIdx.x < w) {
          s1[threadIdx.x] += s1[threadIdx.x + w];
          s2[threadIdx.x] += s2[threadIdx.x + w];
        }
        __syncthreads();
      }
      if (threadIdx.x == 0) partial[c * slices + s] = make_double2(s1[0], s2[0]);
      __syncthreads();
    }
  }
}

// Sums the slices of each channel in order and hands (c, sum) to the finishing functor G:
// void operator()(std::int64_t c, double s1, double s2) const.
template <typename G>
__global__ void channel_finish_kernel(const double2* partial, G g, std::int64_t C, std::int64_t slices) {
  SPECNET_CUDA_LOOP(c, C) {
    double a = 0, b = 0;
    for (std::int64_t s = 0; s < slices; ++s) {
      a += partial[c * slices + s].x;
      b += partial[c * slices + s].y;
    }
    g(c, a, b);
  }
}

// Runs both passes on the specnet stream.
template <typename F, typename G>
void channel_reduce(F f, G g, std::int64_t B, std::int64_t C, std::int64_t L) {
  if (C == 0) return;
  const std::int64_t slices = std::max<std::int64_t>(1, (B * L + kSlice - 1) / kSlice);
  Workspace<double2> partial_buf(C * slices);  // (C, slices)
  double2* partial = partial_buf.get();
  const dim3 grid(static_cast<unsigned>(std::min<std::int64_t>(slices, 65535)),
                  static_cast<unsigned>(std::min<std::int64_t>(C, 65535)));
  channel_partial_kernel<<<grid, kThreads, 0, stream()>>>(partial, f, B, C, L, slices);
  SPECNET_CUDA_CHECK_LAUNCH("channel_partial_kernel");
  channel_finish_kernel<<<blocks_for(C), kThreads, 0, stream()>>>(partial, g, C, slices);
  SPECNET_CUDA_CHECK_LAUNCH("channel_finish_kernel");
}

// out (B, C, L) = [out +] bias (C) broadcast over b and l [bias may be null: zero].
template <typename T>
__global__ void channel_bias_kernel(T* out, const T* bias, std::int64_t B, std::int64_t C, std::int64_t L,
                                    bool accumulate) {
  SPECNET_CUDA_LOOP(i, B * C * L) out[i] = (accumulate ? out[i] : T(0)) + (bias ? bias[(i / L) % C] : T(0));
}
template <typename T>
void channel_bias(T* out, const T* bias, std::int64_t B, std::int64_t C, std::int64_t L, bool accumulate) {
  if (B * C * L == 0) return;
  channel_bias_kernel<<<blocks_for(B * C * L), kThreads, 0, stream()>>>(out, bias, B, C, L, accumulate);
  SPECNET_CUDA_CHECK_LAUNCH("channel_bias_kernel");
}

// Reads x (B, C, L) as (value, 0): the plain sum of each channel.
template <typename T>
struct ChannelValue {
  const T* x;
  std::int64_t C, L;
  __device__ double2 operator()(std::int64_t b, std::int64_t c, std::int64_t l) const {
    return make_double2(static_cast<double>(x[(b * C + c) * L + l]), 0.0);
  }
};

// db[c] += s1: bias gradients.
template <typename T>
struct AddSumTo {
  T* db;
  __device__ void operator()(std::int64_t c, double s1, double) const { db[c] += static_cast<T>(s1); }
};

// db (C) += sum over b, l of x (B, C, L): bias gradients of linear (L = 1) and the convolutions.
template <typename T>
void add_channel_sums(T* db, const T* x, std::int64_t B, std::int64_t C, std::int64_t L) {
  channel_reduce(ChannelValue<T>{x, C, L}, AddSumTo<T>{db}, B, C, L);
}

}  // namespace specnet::cuda::detail
