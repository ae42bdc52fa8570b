// Cubic (4-point Lagrange) interpolation shared by the tabulated model pieces: the Gaunt table (bremss)
// and the one-dimensional disk integrals (diskbb, ezdiskbb), each interpolated in log-log space.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "specnet/error.h"

namespace specnet::sim::detail {

// Weights of nodes -1, 0, 1, 2 for a point at fractional offset t from node 0.
inline void cubic_weights(double t, double w[4]) {
  w[0] = -t * (t - 1) * (t - 2) / 6;
  w[1] = (t + 1) * (t - 1) * (t - 2) / 2;
  w[2] = -(t + 1) * t * (t - 2) / 2;
  w[3] = (t + 1) * t * (t - 1) / 6;
}

// Splits a table coordinate x (in steps from node 0, clamped to [0, n-1]) into a base node i with
// 1 <= i <= n-3 and the offset t = x - i (outside [0, 1] only in the first and last interval).
inline void locate_node(double x, int n, int* i, double* t) {
  x = std::clamp(x, 0.0, static_cast<double>(n - 1));
  *i = std::clamp(static_cast<int>(std::floor(x)), 1, n - 3);
  *t = x - *i;
}

// ln f tabulated on a uniform grid in ln x over [x_lo, x_hi] (step at most max_step), for positive smooth f
// that is costly to evaluate; interpolation error ~ step^4 |d^4 ln f / d(ln x)^4| / 24.
class LogLogTable {
 public:
  template <class F>
  LogLogTable(F&& f, double x_lo, double x_hi, double max_step) : ln_lo_(std::log(x_lo)), ln_hi_(std::log(x_hi)) {
    const int n = static_cast<int>(std::ceil((ln_hi_ - ln_lo_) / max_step)) + 1;
    step_ = (ln_hi_ - ln_lo_) / (n - 1);
    ln_f_.resize(n);  // (n)
    for (int k = 0; k < n; ++k) {
      // The end nodes are x_lo and x_hi exactly: exp(ln_lo + step (n-1)) can round past x_hi (700.00000000000045
      // for diskbb at -O1), where f may already be 0 (found by the sanitizer build).
      const double x = k == 0 ? x_lo : k == n - 1 ? x_hi : std::exp(ln_lo_ + step_ * k);
      ln_f_[k] = std::log(f(x));
      SPECNET_CHECK(std::isfinite(ln_f_[k]), "LogLogTable: f must be positive and finite on the table range");
    }
  }
  bool covers(double x) const { return x > 0 && covers_log(std::log(x)); }
  bool covers_log(double ln_x) const { return ln_x >= ln_lo_ && ln_x <= ln_hi_; }
  double operator()(double x) const { return std::exp(log_at(std::log(x))); }
  // ln f at ln x (for callers that batch the logs and exps).
  double log_at(double ln_x) const {
    int i;
    double t, w[4];
    locate_node((ln_x - ln_lo_) / step_, static_cast<int>(ln_f_.size()), &i, &t);
    cubic_weights(t, w);
    return w[0] * ln_f_[i - 1] + w[1] * ln_f_[i] + w[2] * ln_f_[i + 1] + w[3] * ln_f_[i + 2];
  }

 private:
  double ln_lo_, ln_hi_, step_ = 0;
  std::vector<double> ln_f_;  // (n)
};

}  // namespace specnet::sim::detail
