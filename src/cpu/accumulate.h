// Private helpers for src/cpu kernels: channel sums and dot products of float or double data accumulated in
// double with independent partial sums in a fixed order (never dependent on threads). float data gets an
// AVX-512 path: GCC does not vectorise the float -> double accumulation by itself.
#pragma once
#include <cstdint>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace specnet::cpu::detail {

constexpr int kLanes = 8;

// sum_i x[i]
template <typename T>
inline double sum_d(const T* x, std::int64_t n) {
  double p[kLanes] = {}, r[kLanes] = {};
  std::int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    for (int j = 0; j < kLanes; ++j) p[j] += static_cast<double>(x[i + j]);
    for (int j = 0; j < kLanes; ++j) r[j] += static_cast<double>(x[i + kLanes + j]);
  }
  double t = 0;
  for (; i < n; ++i) t += static_cast<double>(x[i]);
  for (int j = 0; j < kLanes; ++j) t += p[j] + r[j];
  return t;
}

// s1 += sum_i (x[i] - shift), s2 += sum_i (x[i] - shift)^2 in one pass (the shift, a value near the mean,
// keeps the variance s2 / n - (s1 / n)^2 free of cancellation).
template <typename T>
inline void sum_sumsq_d(const T* x, std::int64_t n, double shift, double& s1, double& s2) {
  double p[kLanes] = {}, q[kLanes] = {}, r[kLanes] = {}, s[kLanes] = {};
  std::int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const double v = static_cast<double>(x[i + j]) - shift;
      p[j] += v;
      q[j] += v * v;
    }
    for (int j = 0; j < kLanes; ++j) {
      const double v = static_cast<double>(x[i + kLanes + j]) - shift;
      r[j] += v;
      s[j] += v * v;
    }
  }
  double t1 = 0, t2 = 0;
  for (; i < n; ++i) {
    const double v = static_cast<double>(x[i]) - shift;
    t1 += v;
    t2 += v * v;
  }
  for (int j = 0; j < kLanes; ++j) {
    t1 += p[j] + r[j];
    t2 += q[j] + s[j];
  }
  s1 += t1;
  s2 += t2;
}

// s1 += sum_i a[i], s2 += sum_i a[i] (b[i] - shift) in one pass.
template <typename T>
inline void sum_dot_d(const T* a, const T* b, std::int64_t n, double shift, double& s1, double& s2) {
  double p[kLanes] = {}, q[kLanes] = {}, r[kLanes] = {}, s[kLanes] = {};
  std::int64_t i = 0;
  for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const double v = static_cast<double>(a[i + j]);
      p[j] += v;
      q[j] += v * (static_cast<double>(b[i + j]) - shift);
    }
    for (int j = 0; j < kLanes; ++j) {
      const double v = static_cast<double>(a[i + kLanes + j]);
      r[j] += v;
      s[j] += v * (static_cast<double>(b[i + kLanes + j]) - shift);
    }
  }
  double t1 = 0, t2 = 0;
  for (; i < n; ++i) {
    const double v = static_cast<double>(a[i]);
    t1 += v;
    t2 += v * (static_cast<double>(b[i]) - shift);
  }
  for (int j = 0; j < kLanes; ++j) {
    t1 += p[j] + r[j];
    t2 += q[j] + s[j];
  }
  s1 += t1;
  s2 += t2;
}

#if defined(__AVX512F__)
// float overloads: 16 floats per step as two 8-lane double vectors, two accumulators per sum.
inline double sum_d(const float* x, std::int64_t n) {
  __m512d a = _mm512_setzero_pd(), b = _mm512_setzero_pd();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a = _mm512_add_pd(a, _mm512_cvtps_pd(_mm256_loadu_ps(x + i)));
    b = _mm512_add_pd(b, _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8)));
  }
  double t = 0;
  for (; i < n; ++i) t += static_cast<double>(x[i]);
  return t + _mm512_reduce_add_pd(_mm512_add_pd(a, b));
}

inline void sum_sumsq_d(const float* x, std::int64_t n, double shift, double& s1, double& s2) {
  const __m512d sh = _mm512_set1_pd(shift);
  __m512d p = _mm512_setzero_pd(), q = _mm512_setzero_pd(), r = _mm512_setzero_pd(), s = _mm512_setzero_pd();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d u = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i)), sh);
    const __m512d v = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8)), sh);
    p = _mm512_add_pd(p, u);
    q = _mm512_fmadd_pd(u, u, q);
    r = _mm512_add_pd(r, v);
    s = _mm512_fmadd_pd(v, v, s);
  }
  double t1 = 0, t2 = 0;
  for (; i < n; ++i) {
    const double v = static_cast<double>(x[i]) - shift;
    t1 += v;
    t2 += v * v;
  }
  s1 += t1 + _mm512_reduce_add_pd(_mm512_add_pd(p, r));
  s2 += t2 + _mm512_reduce_add_pd(_mm512_add_pd(q, s));
}

inline void sum_dot_d(const float* a, const float* b, std::int64_t n, double shift, double& s1, double& s2) {
  const __m512d sh = _mm512_set1_pd(shift);
  __m512d p = _mm512_setzero_pd(), q = _mm512_setzero_pd(), r = _mm512_setzero_pd(), s = _mm512_setzero_pd();
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d a0 = _mm512_cvtps_pd(_mm256_loadu_ps(a + i)), a1 = _mm512_cvtps_pd(_mm256_loadu_ps(a + i + 8));
    const __m512d b0 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(b + i)), sh);
    const __m512d b1 = _mm512_sub_pd(_mm512_cvtps_pd(_mm256_loadu_ps(b + i + 8)), sh);
    p = _mm512_add_pd(p, a0);
    q = _mm512_fmadd_pd(a0, b0, q);
    r = _mm512_add_pd(r, a1);
    s = _mm512_fmadd_pd(a1, b1, s);
  }
  double t1 = 0, t2 = 0;
  for (; i < n; ++i) {
    const double v = static_cast<double>(a[i]);
    t1 += v;
    t2 += v * (static_cast<double>(b[i]) - shift);
  }
  s1 += t1 + _mm512_reduce_add_pd(_mm512_add_pd(p, r));
  s2 += t2 + _mm512_reduce_add_pd(_mm512_add_pd(q, s));
}
#endif

}  // namespace specnet::cpu::detail
