// conv1d kernels: im2col + GEMM over fixed chunks of samples (Eigen single-threaded inside a chunk, chunks
// in parallel); tiny channel counts use plain loops instead. Matches torch.nn.functional.conv1d, groups=1.
#include "specnet/cpu/conv1d.h"

#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "accumulate.h"
#include "eigen_maps.h"
#include "specnet/context.h"

namespace specnet::cpu {
namespace {
using detail::CMapM;
using detail::MapM;
using detail::Mat;

// A chunk holds enough samples for about this many im2col columns (samples x output positions): the GEMMs get
// a wide N while the column buffer stays in L2. Depends on the shape only, never on the thread count.
constexpr std::int64_t kChunkCols = 512;
// Independent partial sums in the small weight-gradient dot products (two AVX-512 registers of floats).
constexpr int kDotLanes = 32;
// Matrices with a side this small go through plain loops: Eigen's packing costs more than it saves there.
constexpr std::int64_t kSmallSide = 8;

struct Geom {
  std::int64_t C, L, O, M, K, stride, pad, dil;
  std::int64_t ck() const { return C * K; }
};

std::int64_t samples_per_chunk(std::int64_t M) { return std::max<std::int64_t>(1, (kChunkCols + M - 1) / M); }

// Output positions m in [lo, hi) whose input index m stride + off lies in [0, L).
void tap_range(std::int64_t off, const Geom& g, std::int64_t& lo, std::int64_t& hi) {
  lo = off >= 0 ? 0 : (-off + g.stride - 1) / g.stride;
  hi = off > g.L - 1 ? 0 : (g.L - 1 - off) / g.stride + 1;
  lo = std::min(lo, g.M);
  hi = std::clamp(hi, lo, g.M);
}

// Per-thread scratch that grows and is reused across calls (slot picks one of a few buffers).
template <typename T>
T* scratch(int slot, std::size_t n) {
  thread_local std::vector<T> buf[2];
  if (buf[slot].size() < n) buf[slot].resize(n);
  return buf[slot].data();
}

// dst[m] = src[2 m + off] for m in [lo, hi) (src has L elements): the stride-2 im2col row. float uses AVX-512
// two-source permutes; the vector loop stops where its 32-element load would pass the end of src.
template <typename T>
void gather_stride2(T* dst, const T* src, std::int64_t off, std::int64_t lo, std::int64_t hi, std::int64_t L) {
  std::int64_t m = lo;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (; m + 16 <= hi && 2 * m + off + 32 <= L; m += 16) {
      const float* s = src + 2 * m + off;
      _mm512_storeu_ps(dst + m, _mm512_permutex2var_ps(_mm512_loadu_ps(s), even, _mm512_loadu_ps(s + 16)));
    }
  }
#endif
  for (; m < hi; ++m) dst[m] = src[2 * m + off];
}

// dst[2 m + off] += src[m] for m in [lo, hi) (dst has L elements): the stride-2 col2im row.
template <typename T>
void scatter_add_stride2(T* dst, const T* src, std::int64_t off, std::int64_t lo, std::int64_t hi, std::int64_t L) {
  std::int64_t m = lo;
#if defined(__AVX512F__)
  if constexpr (std::is_same_v<T, float>) {
    // src[0..7] and src[8..15] spread to the even lanes; the odd lanes of dst are rewritten unchanged.
    const __m512i lo_idx = _mm512_setr_epi32(0, 16, 1, 16, 2, 16, 3, 16, 4, 16, 5, 16, 6, 16, 7, 16);
    const __m512i hi_idx = _mm512_setr_epi32(8, 16, 9, 16, 10, 16, 11, 16, 12, 16, 13, 16, 14, 16, 15, 16);
    const __mmask16 even = 0x5555;
    for (; m + 16 <= hi && 2 * m + off + 32 <= L; m += 16) {
      float* d = dst + 2 * m + off;
      const __m512 v = _mm512_loadu_ps(src + m), z = _mm512_setzero_ps();
      const __m512 a = _mm512_permutex2var_ps(v, lo_idx, z), b = _mm512_permutex2var_ps(v, hi_idx, z);
      _mm512_storeu_ps(d, _mm512_mask_add_ps(_mm512_loadu_ps(d), even, _mm512_loadu_ps(d), a));
      _mm512_storeu_ps(d + 16, _mm512_mask_add_ps(_mm512_loadu_ps(d + 16), even, _mm512_loadu_ps(d + 16), b));
    }
  }
#endif
  for (; m < hi; ++m) dst[2 * m + off] += src[m];
}

// col (C K, nb M): col[c K + k, i M + m] = in[i, c, m stride + k dil - pad], zero outside [0, L).
template <typename T>
void im2col(T* col, const T* in, std::int64_t nb, const Geom& g) {
  const std::int64_t n = nb * g.M;
  for (std::int64_t c = 0; c < g.C; ++c)
    for (std::int64_t k = 0; k < g.K; ++k) {
      const std::int64_t off = k * g.dil - g.pad;
      std::int64_t lo, hi;
      tap_range(off, g, lo, hi);
      T* row = col + (c * g.K + k) * n;
      for (std::int64_t i = 0; i < nb; ++i) {
        const T* src = in + (i * g.C + c) * g.L;
        T* dst = row + i * g.M;
        std::fill(dst, dst + lo, T(0));
        if (g.stride == 1) {
          if (hi > lo) std::memcpy(dst + lo, src + lo + off, sizeof(T) * (hi - lo));
        } else if (g.stride == 2) {
          gather_stride2(dst, src, off, lo, hi, g.L);
        } else {
          for (std::int64_t m = lo; m < hi; ++m) dst[m] = src[m * g.stride + off];
        }
        std::fill(dst + hi, dst + g.M, T(0));
      }
    }
}

// din (nb, C, L) += col2im(col (C K, nb M)): the adjoint of im2col.
template <typename T>
void col2im_add(T* din, const T* col, std::int64_t nb, const Geom& g) {
  const std::int64_t n = nb * g.M;
  for (std::int64_t i = 0; i < nb; ++i)
    for (std::int64_t c = 0; c < g.C; ++c) {
      T* dst_c = din + (i * g.C + c) * g.L;
      for (std::int64_t k = 0; k < g.K; ++k) {
        const std::int64_t off = k * g.dil - g.pad;
        std::int64_t lo, hi;
        tap_range(off, g, lo, hi);
        const T* src = col + (c * g.K + k) * n + i * g.M;
        if (g.stride == 1) {
          for (std::int64_t m = lo; m < hi; ++m) dst_c[m + off] += src[m];
        } else if (g.stride == 2) {
          scatter_add_stride2(dst_c, src, off, lo, hi, g.L);
        } else {
          for (std::int64_t m = lo; m < hi; ++m) dst_c[m * g.stride + off] += src[m];
        }
      }
    }
}

// rows (R, nb N) from x (nb, R, N): sample i's (R, N) block becomes columns [i N, (i + 1) N).
template <typename T>
void gather_rows(T* rows, const T* x, std::int64_t nb, std::int64_t R, std::int64_t N) {
  for (std::int64_t r = 0; r < R; ++r)
    for (std::int64_t i = 0; i < nb; ++i) std::memcpy(rows + r * nb * N + i * N, x + (i * R + r) * N, sizeof(T) * N);
}

// c (m, n) = [c +] op(a) b (k, n), op(a) = a (m, k) or, with trans_a, a (k, m) transposed. All row-major.
template <typename T>
void gemm_nn(T* c, const T* a, bool trans_a, const T* b, std::int64_t m, std::int64_t k, std::int64_t n,
             bool accumulate) {
  if (m <= kSmallSide || k <= kSmallSide) {
    // c row i stays in L1 while the k rows of b stream past: one fused multiply-add per element.
    for (std::int64_t i = 0; i < m; ++i) {
      T* ci = c + i * n;
      if (!accumulate) std::fill(ci, ci + n, T(0));
      for (std::int64_t p = 0; p < k; ++p) {
        const T aip = trans_a ? a[p * m + i] : a[i * k + p];
        const T* bp = b + p * n;
        for (std::int64_t j = 0; j < n; ++j) ci[j] += aip * bp[j];
      }
    }
    return;
  }
  MapM<T> Cm(c, m, n);
  CMapM<T> Bm(b, k, n);
  if (trans_a) {
    CMapM<T> At(a, k, m);
    if (accumulate) Cm.noalias() += At.transpose() * Bm;
    else Cm.noalias() = At.transpose() * Bm;
  } else {
    CMapM<T> Am(a, m, k);
    if (accumulate) Cm.noalias() += Am * Bm;
    else Cm.noalias() = Am * Bm;
  }
}

// c (m, n) = a (m, k) b (n, k)^T, row-major, for the weight gradient (k = samples x positions, long).
template <typename T>
void gemm_nt(T* c, const T* a, const T* b, std::int64_t m, std::int64_t n, std::int64_t k) {
  if (m <= kSmallSide || n <= kSmallSide) {
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) {
        // Fixed lanes keep the dot product vectorised and its summation order fixed.
        const T* ai = a + i * k;
        const T* bj = b + j * k;
        T acc[kDotLanes] = {};
        std::int64_t p = 0;
        for (; p + kDotLanes <= k; p += kDotLanes)
          for (int l = 0; l < kDotLanes; ++l) acc[l] += ai[p + l] * bj[p + l];
        T s = 0;
        for (int l = 0; l < kDotLanes; ++l) s += acc[l];
        for (; p < k; ++p) s += ai[p] * bj[p];
        c[i * n + j] = s;
      }
    return;
  }
  MapM<T> Cm(c, m, n);
  CMapM<T> Am(a, m, k), Bm(b, n, k);
  Cm.noalias() = Am * Bm.transpose();
}
}  // namespace

template <typename T>
void conv1d_forward(T* out, const T* in, const T* w, const T* b, std::int64_t B, std::int64_t C, std::int64_t L,
                    std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride, std::int64_t pad,
                    std::int64_t dil, bool accumulate) {
  const Geom g{C, L, O, M, K, stride, pad, dil};
  const std::int64_t nb_max = samples_per_chunk(M);
  parallel_for(B, nb_max, [&](std::int64_t b0, std::int64_t b1) {
    const std::int64_t nb = b1 - b0, n = nb * M;
    T* col = scratch<T>(0, static_cast<std::size_t>(g.ck() * n));  // (C K, nb M)
    im2col(col, in + b0 * C * L, nb, g);
    T* dst = out + b0 * O * M;  // (nb, O, M)
    if (nb == 1) {
      gemm_nn(dst, w, false, col, O, g.ck(), M, accumulate);
      if (b)
        for (std::int64_t o = 0; o < O; ++o)
          for (std::int64_t m = 0; m < M; ++m) dst[o * M + m] += b[o];
      return;
    }
    T* y = scratch<T>(1, static_cast<std::size_t>(O * n));  // (O, nb M)
    gemm_nn(y, w, false, col, O, g.ck(), n, false);
    for (std::int64_t i = 0; i < nb; ++i)
      for (std::int64_t o = 0; o < O; ++o) {
        const T* src = y + o * n + i * M;
        T* d = dst + (i * O + o) * M;
        const T bias = b ? b[o] : T(0);
        if (accumulate)
          for (std::int64_t m = 0; m < M; ++m) d[m] += src[m] + bias;
        else
          for (std::int64_t m = 0; m < M; ++m) d[m] = src[m] + bias;
      }
  });
}

template <typename T>
void conv1d_backward_data(T* din, const T* dout, const T* w, std::int64_t B, std::int64_t C, std::int64_t L,
                          std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride, std::int64_t pad,
                          std::int64_t dil) {
  const Geom g{C, L, O, M, K, stride, pad, dil};
  parallel_for(B, samples_per_chunk(M), [&](std::int64_t b0, std::int64_t b1) {
    const std::int64_t nb = b1 - b0, n = nb * M;
    const T* grows = dout + b0 * O * M;  // (O, nb M) once gathered; a single sample is already in that layout
    if (nb > 1) {
      T* gbuf = scratch<T>(1, static_cast<std::size_t>(O * n));
      gather_rows(gbuf, grows, nb, O, M);
      grows = gbuf;
    }
    T* dcol = scratch<T>(0, static_cast<std::size_t>(g.ck() * n));  // (C K, nb M) = w^T (C K, O) g (O, nb M)
    gemm_nn(dcol, w, true, grows, g.ck(), O, n, false);
    col2im_add(din + b0 * C * L, dcol, nb, g);
  });
}

template <typename T>
void conv1d_backward_weight(T* dw, T* db, const T* dout, const T* in, std::int64_t B, std::int64_t C,
                            std::int64_t L, std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride,
                            std::int64_t pad, std::int64_t dil) {
  if (db) conv1d_backward_bias(db, dout, B, O, M);
  if (!dw || B == 0) return;
  const Geom g{C, L, O, M, K, stride, pad, dil};
  const std::int64_t nb_max = samples_per_chunk(M), chunks = (B + nb_max - 1) / nb_max, nw = O * g.ck();
  // (chunks, O, C K); every chunk overwrites its slice, so no zero fill is needed.
  std::unique_ptr<T[]> partial(new T[static_cast<std::size_t>(chunks * nw)]);
  parallel_for(B, nb_max, [&](std::int64_t b0, std::int64_t b1) {
    const std::int64_t nb = b1 - b0, n = nb * M;
    const T* grows = dout + b0 * O * M;  // (O, nb M)
    if (nb > 1) {
      T* gbuf = scratch<T>(1, static_cast<std::size_t>(O * n));
      gather_rows(gbuf, grows, nb, O, M);
      grows = gbuf;
    }
    T* col = scratch<T>(0, static_cast<std::size_t>(g.ck() * n));  // (C K, nb M)
    im2col(col, in + b0 * C * L, nb, g);
    gemm_nt(partial.get() + (b0 / nb_max) * nw, grows, col, O, g.ck(), n);
  });
  // Chunk partials are added in chunk order: the same sums for any thread count.
  parallel_for(nw, 256, [&](std::int64_t e0, std::int64_t e1) {
    for (std::int64_t ci = 0; ci < chunks; ++ci) {
      const T* p = partial.get() + ci * nw;
      for (std::int64_t e = e0; e < e1; ++e) dw[e] += p[e];
    }
  });
}

template <typename T>
void conv1d_backward_bias(T* db, const T* dout, std::int64_t B, std::int64_t O, std::int64_t M) {
  parallel_for(O, 4, [&](std::int64_t o0, std::int64_t o1) {
    for (std::int64_t o = o0; o < o1; ++o) {
      double s = 0;
      for (std::int64_t b = 0; b < B; ++b) s += detail::sum_d(dout + (b * O + o) * M, M);
      db[o] += static_cast<T>(s);
    }
  });
}

#define SPECNET_INSTANTIATE(T)                                                                                      \
  template void conv1d_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t,      \
                                  std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,             \
                                  std::int64_t, bool);                                                             \
  template void conv1d_backward_data<T>(T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t,          \
                                        std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,       \
                                        std::int64_t);                                                             \
  template void conv1d_backward_weight<T>(T*, T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t,    \
                                          std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,     \
                                          std::int64_t);                                                           \
  template void conv1d_backward_bias<T>(T*, const T*, std::int64_t, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
