// The row-major GEMM of src/cuda/layer_common.cuh on cuBLAS (torch.matmul's row-major layout on a column-major
// library), float and double, on the specnet stream and its cuBLAS handle (default math: no TF32).
#include "layer_common.cuh"

namespace specnet::cuda::detail {

namespace {
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta,
                         float* C, int ldc) {
  return cublasSgemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                         const double* alpha, const double* A, int lda, const double* B, int ldb, const double* beta,
                         double* C, int ldc) {
  return cublasDgemm(h, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
cublasStatus_t batched_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const float* alpha, const float* A, int lda, long long sa, const float* B, int ldb,
                            long long sb, const float* beta, float* C, int ldc, long long sc, int batch) {
  return cublasSgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
cublasStatus_t batched_call(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const double* alpha, const double* A, int lda, long long sa, const double* B, int ldb,
                            long long sb, const double* beta, double* C, int ldc, long long sc, int batch) {
  return cublasDgemmStridedBatched(h, ta, tb, m, n, k, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}
}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A,
          std::int64_t lda, const T* B, std::int64_t ldb, T beta, T* C, std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // an empty sum: C = beta C, and only beta 0 (overwrite) or 1 (accumulate) occur here
    SPECNET_CHECK(beta == T(0) || beta == T(1), "cuda: gemm with k = 0 needs beta 0 or 1");
    if (beta == T(0)) SPECNET_CUDA_CHECK(cudaMemset2DAsync(C, ldc * sizeof(T), 0, n * sizeof(T), m, stream()));
    return;
  }
  const cublasOperation_t opa = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, opb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  SPECNET_CUBLAS_CHECK(gemm_call(cublas(), opb, opa, blas_dim(n, "n"), blas_dim(m, "m"), blas_dim(k, "k"), &alpha, B,
                                 blas_dim(ldb, "ldb"), A, blas_dim(lda, "lda"), &beta, C, blas_dim(ldc, "ldc")));
}

template <typename T>
void gemm_batched(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha, const T* A,
                  std::int64_t lda, std::int64_t stride_a, const T* B, std::int64_t ldb, std::int64_t stride_b, T beta,
                  T* C, std::int64_t ldc, std::int64_t stride_c, std::int64_t batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  SPECNET_CHECK(k > 0, "cuda: batched gemm needs k > 0, got ", k);
  const cublasOperation_t opa = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, opb = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  // As gemm: the column-major call computes C_b^T = op(B_b)^T op(A_b)^T.
  SPECNET_CUBLAS_CHECK(batched_call(cublas(), opb, opa, blas_dim(n, "n"), blas_dim(m, "m"), blas_dim(k, "k"), &alpha, B,
                                    blas_dim(ldb, "ldb"), stride_b, A, blas_dim(lda, "lda"), stride_a, &beta, C,
                                    blas_dim(ldc, "ldc"), stride_c, blas_dim(batch, "batch")));
}

template void gemm_batched<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*,
                                  std::int64_t, std::int64_t, const float*, std::int64_t, std::int64_t, float, float*,
                                  std::int64_t, std::int64_t, std::int64_t);
template void gemm_batched<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*,
                                   std::int64_t, std::int64_t, const double*, std::int64_t, std::int64_t, double,
                                   double*, std::int64_t, std::int64_t, std::int64_t);
template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*, std::int64_t,
                          const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double, const double*, std::int64_t,
                           const double*, std::int64_t, double, double*, std::int64_t);

}  // namespace specnet::cuda::detail
