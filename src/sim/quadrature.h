// Gauss-Legendre quadrature shared by the numerically integrated models (cutoffpl, bknpower, bremss,
// diskbb, simplcut). Nodes come from Newton iteration on P_n, to double precision.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace specnet::sim::detail {

struct GaussLegendre {
  std::vector<double> x, w;  // (n) nodes in (-1, 1) and weights
  explicit GaussLegendre(int n) : x(n), w(n) {
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < n; ++i) {
      double z = std::cos(pi * (i + 0.75) / (n + 0.5)), dp = 1;
      for (int it = 0; it < 100; ++it) {
        double p0 = 1, p1 = z;  // P_0, P_1, then recurrence up to P_n
        for (int k = 2; k <= n; ++k) {
          const double pk = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
          p0 = p1;
          p1 = pk;
        }
        if (n == 1) p0 = 1;
        dp = n * (z * p1 - p0) / (z * z - 1);
        const double dz = p1 / dp;
        z -= dz;
        if (std::fabs(dz) < 1e-16) break;
      }
      x[i] = z;
      w[i] = 2 / ((1 - z * z) * dp * dp);
    }
  }
  // Integral of f over [a, b].
  template <class F>
  double integrate(F&& f, double a, double b) const {
    const double h = 0.5 * (b - a), c = 0.5 * (b + a);
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += w[i] * f(c + h * x[i]);
    return s * h;
  }
  // Calls fn(node, weight) for each node of integrate()'s rule over [a, b], the weight including the half-width: for
  // callers that cache the nodes of a fixed grid and evaluate them in one vectorised pass.
  template <class Fn>
  void for_each_node(double a, double b, Fn&& fn) const {
    const double h = 0.5 * (b - a), c = 0.5 * (b + a);
    for (std::size_t i = 0; i < x.size(); ++i) fn(c + h * x[i], h * w[i]);
  }
  // Calls fn(lo, hi) for each of `panels` equal panels of [a, b], or panels of width <= max_width when panels <= 0.
  template <class Fn>
  static void for_each_panel(double a, double b, double max_width, std::int64_t panels, Fn&& fn) {
    if (panels <= 0) panels = static_cast<std::int64_t>(std::max(1.0, std::ceil((b - a) / max_width)));
    const double w = (b - a) / static_cast<double>(panels);
    for (std::int64_t k = 0; k < panels; ++k) fn(a + w * static_cast<double>(k), a + w * static_cast<double>(k + 1));
  }
  // Integral of f over [a, b] split into panels as for_each_panel.
  template <class F>
  double integrate_panels(F&& f, double a, double b, double max_width, std::int64_t panels = 0) const {
    double s = 0;
    for_each_panel(a, b, max_width, panels, [&](double lo, double hi) { s += integrate(f, lo, hi); });
    return s;
  }
};

// Whether `cached` (E + 1) holds exactly the grid edges_kev (E + 1): the key of the models' per-thread node caches.
inline bool same_grid(const std::vector<double>& cached, const double* edges_kev, std::int64_t E) {
  return static_cast<std::int64_t>(cached.size()) == E + 1 && std::equal(edges_kev, edges_kev + E + 1, cached.begin());
}

// Integral of f(E) dE over [a, b] (0 < a < b) in u = ln E, split into panels of at most max_dlog in u
// (or `panels` panels when given). Power laws become exponentials in u, which Gauss-Legendre integrates
// to rounding error.
template <class F>
double integrate_log(F&& f, double a, double b, const GaussLegendre& gl, double max_dlog, std::int64_t panels = 0) {
  auto in_u = [&](double u) {
    const double e = std::exp(u);
    return f(e) * e;
  };
  return gl.integrate_panels(in_u, std::log(a), std::log(b), max_dlog, panels);
}

}  // namespace specnet::sim::detail
