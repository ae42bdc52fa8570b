// Linear and plain matmul on Eigen. Rows are split into fixed 32-row chunks (weight gradients into
// fixed column chunks), so each output element is computed by the same code path whatever the thread
// count: results are bitwise identical for 1 or N threads.
#include "specnet/cpu/linear.h"

#include <Eigen/Core>
#include <algorithm>

#include "eigen_maps.h"
#include "specnet/context.h"

namespace specnet::cpu {
namespace {
using detail::CMapM;
using detail::MapM;
using detail::Mat;
constexpr std::int64_t kRowChunk = 32;
constexpr std::int64_t kColChunk = 64;
}  // namespace

template <typename T>
void linear_forward(T* out, const T* in, const T* w, const T* b, std::int64_t N, std::int64_t I, std::int64_t O) {
  CMapM<T> W(w, O, I);
  parallel_for(N, kRowChunk, [&](std::int64_t r0, std::int64_t r1) {
    CMapM<T> X(in + r0 * I, r1 - r0, I);
    MapM<T> Y(out + r0 * O, r1 - r0, O);
    Y.noalias() = X * W.transpose();
    if (b) Y.rowwise() += Eigen::Map<const Eigen::Matrix<T, 1, Eigen::Dynamic>>(b, O);
  });
}

template <typename T>
void linear_backward(T* din, T* dw, T* db, const T* dout, const T* in, const T* w, std::int64_t N, std::int64_t I,
                     std::int64_t O) {
  if (din) {
    CMapM<T> W(w, O, I);
    parallel_for(N, kRowChunk, [&](std::int64_t r0, std::int64_t r1) {
      CMapM<T> G(dout + r0 * O, r1 - r0, O);
      MapM<T> D(din + r0 * I, r1 - r0, I);
      D.noalias() += G * W;
    });
  }
  if (dw) {
    CMapM<T> G(dout, N, O), X(in, N, I);
    // dw (O, I): split the larger of O and I into fixed chunks; the N-sum stays whole in each chunk.
    if (I >= O) {
      parallel_for(I, kColChunk, [&](std::int64_t c0, std::int64_t c1) {
        Eigen::Map<Mat<T>, 0, Eigen::OuterStride<>> D(dw + c0, O, c1 - c0, Eigen::OuterStride<>(I));
        D.noalias() += G.transpose() * X.middleCols(c0, c1 - c0);
      });
    } else {
      parallel_for(O, kColChunk, [&](std::int64_t r0, std::int64_t r1) {
        MapM<T> D(dw + r0 * I, r1 - r0, I);
        D.noalias() += G.middleCols(r0, r1 - r0).transpose() * X;
      });
    }
  }
  if (db) {
    parallel_for(O, kColChunk, [&](std::int64_t o0, std::int64_t o1) {
      for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t o = o0; o < o1; ++o) db[o] += dout[n * O + o];
    });
  }
}

template <typename T>
void matmul_forward(T* c, const T* a, const T* b, std::int64_t M, std::int64_t K, std::int64_t N, bool accumulate) {
  CMapM<T> B(b, K, N);
  parallel_for(M, kRowChunk, [&](std::int64_t r0, std::int64_t r1) {
    CMapM<T> A(a + r0 * K, r1 - r0, K);
    MapM<T> C(c + r0 * N, r1 - r0, N);
    if (accumulate) C.noalias() += A * B;
    else C.noalias() = A * B;
  });
}

#define SPECNET_INSTANTIATE(T)                                                                                  \
  template void linear_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t); \
  template void linear_backward<T>(T*, T*, T*, const T*, const T*, const T*, std::int64_t, std::int64_t,      \
                                   std::int64_t);                                                              \
  template void matmul_forward<T>(T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t, bool);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
