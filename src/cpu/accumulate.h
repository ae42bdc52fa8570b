// Private helpers for src/cpu kernels: channel sums and dot products accumulated in double with a fixed
// set of 16 independent partial sums, so the loops vectorise and the summation order never changes.
#pragma once
#include <cstdint>

namespace specnet::cpu::detail {

constexpr int kLanes = 16;

// sum_i x[i]
template <typename T>
inline double sum_d(const T* x, std::int64_t n) {
  double acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += static_cast<double>(x[i + j]);
  double s = 0;
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  for (; i < n; ++i) s += static_cast<double>(x[i]);
  return s;
}

// sum_i (x[i] - shift)^2
template <typename T>
inline double sum_sq_dev_d(const T* x, std::int64_t n, double shift) {
  double acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      double v = static_cast<double>(x[i + j]) - shift;
      acc[j] += v * v;
    }
  double s = 0;
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  for (; i < n; ++i) {
    double v = static_cast<double>(x[i]) - shift;
    s += v * v;
  }
  return s;
}

// sum_i a[i] * (b[i] - shift)
template <typename T>
inline double dot_shifted_d(const T* a, const T* b, std::int64_t n, double shift) {
  double acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j)
      acc[j] += static_cast<double>(a[i + j]) * (static_cast<double>(b[i + j]) - shift);
  double s = 0;
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  for (; i < n; ++i) s += static_cast<double>(a[i]) * (static_cast<double>(b[i]) - shift);
  return s;
}

}  // namespace specnet::cpu::detail
