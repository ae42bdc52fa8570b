// Shared helpers of the spectral-model tests: evaluate a registered model by name, sum bins, and
// composite Simpson rules used as independent quadrature references.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "specnet/sim/model.h"

namespace specnet::test {

// Evaluates model `name` on `edges` (E+1); convolution models transform `inout` (E), others ignore it.
inline std::vector<double> eval_model(const char* name, const std::vector<double>& edges, const std::vector<double>& p,
                                      std::vector<double> inout = {}) {
  if (inout.empty()) inout.resize(edges.size() - 1);  // (E)
  sim::evaluate_model(sim::find_model(name), edges.data(), static_cast<std::int64_t>(inout.size()), p.data(),
                      inout.data());
  return inout;
}

inline double total(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// Composite Simpson on [a, b] with n (even) intervals.
template <class F>
double simpson(F f, double a, double b, int n) {
  const double h = (b - a) / n;
  double s = 0;
  for (int i = 0; i <= n; ++i) s += (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2)) * f(a + h * i);
  return s * h / 3;
}

// Integral of f(E) dE over [a, b] by Simpson in u = ln E.
template <class F>
double simpson_log(F f, double a, double b, int n = 20000) {
  return simpson(
      [&](double u) {
        const double e = std::exp(u);
        return f(e) * e;
      },
      std::log(a), std::log(b), n);
}

}  // namespace specnet::test
