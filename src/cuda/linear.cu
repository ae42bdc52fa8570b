// Linear and matmul on cuBLAS: row-major GEMMs (layer_common.cuh) with beta = 1 for accumulated gradients; the bias
// is broadcast into the output first and the GEMM adds onto it. Matches torch.nn.functional.linear.
#include "layer_common.cuh"
#include "specnet/cuda/linear.h"

namespace specnet::cuda {

template <typename T>
void linear_forward(T* out, const T* in, const T* w, const T* b, std::int64_t N, std::int64_t I, std::int64_t O) {
  if (N == 0 || O == 0) return;
  if (b) detail::channel_bias(out, b, N, O, std::int64_t(1), false);  // rows (N, O, 1)
  // out (N, O) = in (N, I) w (O, I)^T [+ out]
  detail::gemm<T>(false, true, N, O, I, T(1), in, I, w, I, b ? T(1) : T(0), out, O);
}

template <typename T>
void linear_backward(T* din, T* dw, T* db, const T* dout, const T* in, const T* w, std::int64_t N, std::int64_t I,
                     std::int64_t O) {
  if (din) detail::gemm<T>(false, false, N, I, O, T(1), dout, O, w, I, T(1), din, I);  // (N, O) (O, I)
  if (dw) detail::gemm<T>(true, false, O, I, N, T(1), dout, O, in, I, T(1), dw, I);    // (O, N) (N, I)
  if (db && N > 0) detail::add_channel_sums(db, dout, N, O, std::int64_t(1));          // rows (N, O, 1)
}

template <typename T>
void matmul_forward(T* c, const T* a, const T* b, std::int64_t M, std::int64_t K, std::int64_t N, bool accumulate) {
  detail::gemm<T>(false, false, M, N, K, T(1), a, K, b, N, accumulate ? T(1) : T(0), c, N);
}

#define SPECNET_INSTANTIATE(T)                                                                                 \
  template void linear_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t); \
  template void linear_backward<T>(T*, T*, T*, const T*, const T*, const T*, std::int64_t, std::int64_t,       \
                                   std::int64_t);                                                              \
  template void matmul_forward<T>(T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t, bool);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cuda
