// conv1d kernels on the GPU: im2col into one (C K, B M) column matrix for the whole batch, then cuBLAS: a strided
// batched GEMM writes (B, O, M) outputs in place, one GEMM over all samples and positions gives the weight gradient;
// col2im gathers per input element (no atomics, deterministic).
// Matches torch.nn.functional.conv1d with groups=1 (stride, padding, dilation).
#include "layer_common.cuh"
#include "specnet/cuda/conv1d.h"

namespace specnet::cuda {
namespace {

struct Geom {
  std::int64_t B, C, L, O, M, K, stride, pad, dil;
};

// col (C K, B M): col[c K + k, b M + m] = in[b, c, m stride + k dil - pad], zero outside [0, L).
template <typename T>
__global__ void im2col_kernel(T* col, const T* in, Geom g) {
  const std::int64_t BM = g.B * g.M;
  SPECNET_CUDA_LOOP(i, g.C * g.K * BM) {
    const std::int64_t m = i % g.M, r = i / g.M, b = r % g.B, ck = r / g.B, k = ck % g.K, c = ck / g.K;
    const std::int64_t pos = m * g.stride + k * g.dil - g.pad;
    col[i] = (pos >= 0 && pos < g.L) ? in[(b * g.C + c) * g.L + pos] : T(0);
  }
}

// din (B, C, L) += col2im(dcol (C K, B M)): each input element gathers the taps that read it, in k order.
template <typename T>
__global__ void col2im_add_kernel(T* din, const T* dcol, Geom g) {
  const std::int64_t BM = g.B * g.M;
  SPECNET_CUDA_LOOP(i, g.B * g.C * g.L) {
    const std::int64_t l = i % g.L, r = i / g.L, c = r % g.C, b = r / g.C;
    T acc = 0;
    for (std::int64_t k = 0; k < g.K; ++k) {
      const std::int64_t t = l + g.pad - k * g.dil;  // = m stride
      if (t < 0 || t % g.stride != 0) continue;
      const std::int64_t m = t / g.stride;
      if (m < g.M) acc += dcol[(c * g.K + k) * BM + b * g.M + m];
    }
    din[i] += acc;
  }
}

// rows (O, B M) from dout (B, O, M).
template <typename T>
__global__ void gather_rows_kernel(T* rows, const T* dout, Geom g) {
  const std::int64_t BM = g.B * g.M;
  SPECNET_CUDA_LOOP(i, g.O * BM) {
    const std::int64_t m = i % g.M, r = i / g.M, b = r % g.B, o = r / g.B;
    rows[i] = dout[(b * g.O + o) * g.M + m];
  }
}

template <typename T>
void im2col(T* col, const T* in, const Geom& g) {
  im2col_kernel<<<blocks_for(g.C * g.K * g.B * g.M), kThreads, 0, stream()>>>(col, in, g);
  SPECNET_CUDA_CHECK_LAUNCH("im2col_kernel");
}

template <typename T>
void gather_rows(T* rows, const T* dout, const Geom& g) {
  gather_rows_kernel<<<blocks_for(g.O * g.B * g.M), kThreads, 0, stream()>>>(rows, dout, g);
  SPECNET_CUDA_CHECK_LAUNCH("gather_rows_kernel");
}

}  // namespace

template <typename T>
void conv1d_forward(T* out, const T* in, const T* w, const T* b, std::int64_t B, std::int64_t C, std::int64_t L,
                    std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride, std::int64_t pad,
                    std::int64_t dil, bool accumulate) {
  const Geom g{B, C, L, O, M, K, stride, pad, dil};
  if (B * O * M == 0) return;
  const std::int64_t BM = B * M, CK = C * K;
  detail::Workspace<T> col(CK * BM);  // (C K, B M)
  im2col(col.get(), in, g);
  if (b) detail::channel_bias(out, b, B, O, M, accumulate);  // the GEMM then adds the convolution
  // out_b (O, M) [+]= w (O, C K) col_b (C K, M), where col_b is columns [b M, (b + 1) M) of col.
  detail::gemm_batched<T>(false, false, O, M, CK, T(1), w, CK, 0, col.get(), BM, M, (b || accumulate) ? T(1) : T(0),
                          out, M, O * M, B);
}

template <typename T>
void conv1d_backward_data(T* din, const T* dout, const T* w, std::int64_t B, std::int64_t C, std::int64_t L,
                          std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride, std::int64_t pad,
                          std::int64_t dil) {
  const Geom g{B, C, L, O, M, K, stride, pad, dil};
  if (B * C * L == 0) return;
  const std::int64_t BM = B * M, CK = C * K;
  detail::Workspace<T> dcol(CK * BM);  // (C K, B M)
  // dcol_b (C K, M) = w^T (C K, O) dout_b (O, M), where dcol_b is columns [b M, (b + 1) M) of dcol.
  detail::gemm_batched<T>(true, false, CK, M, O, T(1), w, CK, 0, dout, M, O * M, T(0), dcol.get(), BM, M, B);
  col2im_add_kernel<<<blocks_for(B * C * L), kThreads, 0, stream()>>>(din, dcol.get(), g);
  SPECNET_CUDA_CHECK_LAUNCH("col2im_add_kernel");
}

template <typename T>
void conv1d_backward_weight(T* dw, T* db, const T* dout, const T* in, std::int64_t B, std::int64_t C, std::int64_t L,
                            std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride, std::int64_t pad,
                            std::int64_t dil) {
  if (db) conv1d_backward_bias(db, dout, B, O, M);
  if (!dw || B * M == 0) return;
  const Geom g{B, C, L, O, M, K, stride, pad, dil};
  const std::int64_t BM = B * M, CK = C * K;
  detail::Workspace<T> rows(O * BM), col(CK * BM);  // (O, B M), (C K, B M)
  gather_rows(rows.get(), dout, g);
  im2col(col.get(), in, g);
  // dw (O, C K) += rows (O, B M) col^T (B M, C K): one GEMM sums over samples and positions.
  detail::gemm<T>(false, true, O, CK, BM, T(1), rows.get(), BM, col.get(), BM, T(1), dw, CK);
}

template <typename T>
void conv1d_backward_bias(T* db, const T* dout, std::int64_t B, std::int64_t O, std::int64_t M) {
  if (B * M == 0) return;
  detail::add_channel_sums(db, dout, B, O, M);
}

#define SPECNET_INSTANTIATE(T)                                                                                        \
  template void conv1d_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t,         \
                                  std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, \
                                  bool);                                                                              \
  template void conv1d_backward_data<T>(T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t,             \
                                        std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,         \
                                        std::int64_t);                                                                \
  template void conv1d_backward_weight<T>(T*, T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t,       \
                                          std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,       \
                                          std::int64_t);                                                              \
  template void conv1d_backward_bias<T>(T*, const T*, std::int64_t, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cuda
