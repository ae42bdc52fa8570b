// The rational-quadratic spline inside one bin (Durkan et al. 2019, eqs. 4-8) and its knot slopes, as nflows'
// rational_quadratic_spline; shared by src/cpu/rq_spline.cpp and src/cuda/rq_spline.cu (SPECNET_HD).
#pragma once
#include <cmath>
#include <cstdint>

#include "dual.h"
#include "host_device.h"

namespace specnet::cpu::detail {

constexpr double kSearchEps = 1e-6;  // nflows' searchsorted adds this to the last knot
constexpr double kSoftplusThreshold = 20;  // torch.nn.functional.softplus default

template <typename T>
SPECNET_HD T softplus(T x) {
  return x > T(kSoftplusThreshold) ? x : std::log1p(std::exp(x));
}
template <typename T>
SPECNET_HD T softplus_grad(T x) {
  return x > T(kSoftplusThreshold) ? T(1) : T(1) / (T(1) + std::exp(-x));
}

// Slope at knot j of K+1: softplus + minimum inside; the end slopes come from nflows' padding constant
// log(exp(1 - min_d) - 1) (`edge` = min_d + softplus of it), which makes them 1 so the spline joins the identity
// tails smoothly. Only the two knots of the bin in use are ever evaluated.
template <typename T>
SPECNET_HD double slope_at(const T* ud, std::int64_t j, std::int64_t K, double min_d, double edge) {
  return j == 0 || j == K ? edge : min_d + softplus(double(ud[j - 1]));
}

SPECNET_HD inline double edge_slope(double min_d) { return min_d + softplus(std::log(std::expm1(1.0 - min_d))); }

// The spline inside bin k, written once over a scalar V (T for values, Dual for the 7 partials).
// Forward: x in [xk, xk + wk] -> y, log dy/dx. Inverse: x is a y-space value in [yk, yk + hk]; the root of the
// quadratic (eq. 6 rearranged) is taken in the cancellation-free form 2c / (-b - sqrt(b^2 - 4ac)).
template <typename V, typename T>
SPECNET_HD void local_spline(V& y, V& ld, const V& x, const V& xk, const V& wk, const V& yk, const V& hk, const V& dk,
                  const V& dk1, bool inverse) {
  using detail::clamp_nonneg;
  using detail::log;
  using detail::sqrt;
  const V s = hk / wk;
  const V curv = dk + dk1 - T(2) * s;
  V th;
  if (!inverse) {
    th = (x - xk) / wk;
  } else {
    const V dy = x - yk;
    const V a = dy * curv + hk * (s - dk);
    const V b = hk * dk - dy * curv;
    const V c = -(s * dy);
    const V disc = clamp_nonneg(V(b * b - T(4) * a * c));
    th = T(2) * c / (-b - sqrt(disc));
  }
  const V t = th * (T(1) - th);
  const V den = s + curv * t;
  const V dnum = s * s * (dk1 * th * th + T(2) * s * t + dk * (T(1) - th) * (T(1) - th));
  const V ld_fwd = log(dnum) - T(2) * log(den);
  if (!inverse) {
    y = yk + hk * (s * th * th + dk * t) / den;
    ld = ld_fwd;
  } else {
    y = th * wk + xk;
    ld = -ld_fwd;
  }
}

}  // namespace specnet::cpu::detail
