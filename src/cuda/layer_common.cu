// Definitions behind src/cuda/layer_common.cuh: CUDA/cuBLAS errors as specnet::Error, the layer stream and
// cuBLAS handle, grow-only scratch buffers and the row-major GEMM wrapper (torch.matmul's layout on cuBLAS).
#include <memory>

#include "layer_common.cuh"

namespace specnet::cuda::detail {

void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw Error(str("CUDA error ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ") in ", call, " at ", file, ":",
                  line));
}

void throw_cublas(cublasStatus_t s, const char* call, const char* file, int line) {
  throw Error(str("cuBLAS error ", cublasGetStatusName(s), " (", cublasGetStatusString(s), ") in ", call, " at ", file,
                  ":", line));
}

// The legacy default stream: ordered with every other default-stream call (copies, other kernels).
cudaStream_t layer_stream() { return nullptr; }

namespace {
struct BlasHandle {
  cublasHandle_t h = nullptr;
  BlasHandle() {
    SPECNET_LAYER_CUBLAS(cublasCreate(&h));
    // Default math (no TF32): float32 GEMMs round like the CPU kernels, within float32 tolerance.
    SPECNET_LAYER_CUBLAS(cublasSetStream(h, layer_stream()));
  }
  ~BlasHandle() {
    if (h) cublasDestroy(h);
  }
};

struct Scratch {
  void* ptr[8] = {};
  std::size_t size[8] = {};
  ~Scratch() {
    for (void* p : ptr)
      if (p) cudaFree(p);
  }
};
}  // namespace

cublasHandle_t layer_blas() {
  thread_local BlasHandle handle;
  return handle.h;
}

void* scratch_bytes(int slot, std::size_t bytes) {
  thread_local Scratch s;
  SPECNET_CHECK(slot >= 0 && slot < 8, "cuda: scratch slot ", slot, " out of range");
  if (s.size[slot] < bytes) {
    // cudaFree waits for the device, so no queued kernel still reads the old buffer.
    if (s.ptr[slot]) SPECNET_LAYER_CUDA(cudaFree(s.ptr[slot]));
    s.ptr[slot] = nullptr;
    s.size[slot] = 0;
    SPECNET_LAYER_CUDA(cudaMalloc(&s.ptr[slot], bytes));
    s.size[slot] = bytes;
  }
  return s.ptr[slot];
}

namespace {
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta,
                         float* C, int ldc) {
  return cublasSgemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const double* alpha, const double* A, int lda, const double* B, int ldb,
                         const double* beta, double* C, int ldc) {
  return cublasDgemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: C = beta C, and only beta 0 (overwrite) or 1 (accumulate) occur here
    SPECNET_CHECK(beta == T(0) || beta == T(1), "cuda: gemm with k = 0 needs beta 0 or 1");
    if (beta == T(0))
      SPECNET_LAYER_CUDA(cudaMemset2DAsync(C, ldc * sizeof(T), 0, n * sizeof(T), m, layer_stream()));
    return;
  }
  const cublasOperation_t opa = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, opb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  SPECNET_LAYER_CUBLAS(gemm_call(layer_blas(), opb, opa, blas_dim(n, "n"), blas_dim(m, "m"), blas_dim(k, "k"), &alpha,
                                 B, blas_dim(ldb, "ldb"), A, blas_dim(lda, "lda"), &beta, C, blas_dim(ldc, "ldc")));
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*,
                           std::int64_t, const double*, std::int64_t, double, double*, std::int64_t);

}  // namespace specnet::cuda::detail
