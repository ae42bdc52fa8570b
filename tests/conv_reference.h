// Naive loop references for conv1d / conv_transpose1d (torch formulas written out directly), used by the
// conv tests to check the im2col + GEMM kernels on shapes that reach their chunked and Eigen paths.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "specnet/tensor.h"

namespace specnet::test {

// x (B, C, L), w (O, C, K), b (O) or empty -> (B, O, M) as a flat row-major vector.
inline std::vector<double> conv1d_reference(const Tensor& x, const Tensor& w, const std::vector<double>& b,
                                            std::int64_t stride, std::int64_t pad, std::int64_t dil,
                                            std::int64_t M) {
  const std::int64_t B = x.size(0), C = x.size(1), L = x.size(2), O = w.size(0), K = w.size(2);
  auto xv = x.to_vector(), wv = w.to_vector();
  std::vector<double> out(B * O * M, 0.0);
  for (std::int64_t bi = 0; bi < B; ++bi)
    for (std::int64_t o = 0; o < O; ++o)
      for (std::int64_t m = 0; m < M; ++m) {
        double s = b.empty() ? 0.0 : b[o];
        for (std::int64_t c = 0; c < C; ++c)
          for (std::int64_t k = 0; k < K; ++k) {
            std::int64_t l = m * stride + k * dil - pad;
            if (l >= 0 && l < L) s += wv[(o * C + c) * K + k] * xv[(bi * C + c) * L + l];
          }
        out[(bi * O + o) * M + m] = s;
      }
  return out;
}

// x (B, C, L), w (C, O, K) -> (B, O, M): out[b, o, l stride + k dil - pad] += x[b, c, l] w[c, o, k].
inline std::vector<double> conv_transpose1d_reference(const Tensor& x, const Tensor& w, std::int64_t stride,
                                                      std::int64_t pad, std::int64_t dil, std::int64_t M) {
  const std::int64_t B = x.size(0), C = x.size(1), L = x.size(2), O = w.size(1), K = w.size(2);
  auto xv = x.to_vector(), wv = w.to_vector();
  std::vector<double> out(B * O * M, 0.0);
  for (std::int64_t bi = 0; bi < B; ++bi)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t l = 0; l < L; ++l)
        for (std::int64_t o = 0; o < O; ++o)
          for (std::int64_t k = 0; k < K; ++k) {
            std::int64_t j = l * stride + k * dil - pad;
            if (j >= 0 && j < M) out[(bi * O + o) * M + j] += xv[(bi * C + c) * L + l] * wv[(c * O + o) * K + k];
          }
  return out;
}

inline double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double scale = 1e-30, err = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    scale = std::max(scale, std::abs(b[i]));
    err = std::max(err, std::abs(a[i] - b[i]));
  }
  return err / scale;
}

}  // namespace specnet::test
