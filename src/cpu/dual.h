// Forward-mode dual numbers with N tangent directions (private to src/cpu): a closed-form local function
// written once over a template scalar gives its value (plain T) and all N partial derivatives (Dual). Usable in
// CUDA device code too (src/cuda/rq_spline.cu), hence SPECNET_HD.
#pragma once
#include <cmath>

#include "host_device.h"

namespace specnet::cpu::detail {

template <typename T, int N>
struct Dual {
  T v = 0;
  T g[N] = {};
  SPECNET_HD Dual() {}
  SPECNET_HD Dual(T value) : v(value) {}  // NOLINT: a constant has zero tangents
  SPECNET_HD static Dual variable(T value, int i) {
    Dual d(value);
    d.g[i] = T(1);
    return d;
  }
};

template <typename T, int N>
SPECNET_HD Dual<T, N> operator+(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r(a.v + b.v);
  for (int i = 0; i < N; ++i) r.g[i] = a.g[i] + b.g[i];
  return r;
}
template <typename T, int N>
SPECNET_HD Dual<T, N> operator-(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r(a.v - b.v);
  for (int i = 0; i < N; ++i) r.g[i] = a.g[i] - b.g[i];
  return r;
}
template <typename T, int N>
SPECNET_HD Dual<T, N> operator-(const Dual<T, N>& a) {
  return Dual<T, N>(T(0)) - a;
}
template <typename T, int N>
SPECNET_HD Dual<T, N> operator*(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r(a.v * b.v);
  for (int i = 0; i < N; ++i) r.g[i] = a.g[i] * b.v + a.v * b.g[i];
  return r;
}
template <typename T, int N>
SPECNET_HD Dual<T, N> operator/(const Dual<T, N>& a, const Dual<T, N>& b) {
  Dual<T, N> r(a.v / b.v);
  for (int i = 0; i < N; ++i) r.g[i] = (a.g[i] - r.v * b.g[i]) / b.v;
  return r;
}
// Mixed scalar forms so that `T(2) * d` and `d * T(2)` need no explicit conversion.
template <typename T, int N> SPECNET_HD Dual<T, N> operator+(T a, const Dual<T, N>& b) { return Dual<T, N>(a) + b; }
template <typename T, int N> SPECNET_HD Dual<T, N> operator-(T a, const Dual<T, N>& b) { return Dual<T, N>(a) - b; }
template <typename T, int N> SPECNET_HD Dual<T, N> operator*(T a, const Dual<T, N>& b) { return Dual<T, N>(a) * b; }
template <typename T, int N> SPECNET_HD Dual<T, N> operator*(const Dual<T, N>& a, T b) { return a * Dual<T, N>(b); }

template <typename T, int N>
SPECNET_HD Dual<T, N> log(const Dual<T, N>& a) {
  Dual<T, N> r(std::log(a.v));
  for (int i = 0; i < N; ++i) r.g[i] = a.g[i] / a.v;
  return r;
}
template <typename T, int N>
SPECNET_HD Dual<T, N> sqrt(const Dual<T, N>& a) {
  Dual<T, N> r(std::sqrt(a.v));
  for (int i = 0; i < N; ++i) r.g[i] = a.g[i] / (T(2) * r.v);
  return r;
}
// max(a, 0) on the value, used to absorb rounding that makes a zero discriminant slightly negative.
template <typename T, int N>
SPECNET_HD Dual<T, N> clamp_nonneg(const Dual<T, N>& a) {
  return a.v < T(0) ? Dual<T, N>(T(0)) : a;
}
template <typename T>
SPECNET_HD T clamp_nonneg(T a) {
  return a < T(0) ? T(0) : a;
}
using std::log;
using std::sqrt;

}  // namespace specnet::cpu::detail
