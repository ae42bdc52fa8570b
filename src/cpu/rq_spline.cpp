// Rational-quadratic spline with linear (identity) tails: Durkan et al. 2019, "Neural Spline Flows", eqs. 4-8,
// with the knot construction of nflows' rational_quadratic_spline (softmax + minimum bin size, softplus slopes).
#include "specnet/cpu/rq_spline.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "rq_spline_local.h"
#include "specnet/context.h"

namespace specnet::cpu {
namespace {

using detail::edge_slope;
using detail::kSearchEps;
using detail::local_spline;
using detail::slope_at;
using detail::softplus_grad;

constexpr std::int64_t kGrain = 512;

// One element's knots on [-B, B]: bin probabilities p (K) from softmax(u), knot positions loc (K+1) with the
// end knots pinned to -B and B exactly (so their gradients are dropped, as in nflows).
template <typename T>
void knots(double* p, double* loc, const T* u, std::int64_t K, double min_size, double B) {
  double mx = u[0];
  for (std::int64_t i = 1; i < K; ++i) mx = std::max(mx, double(u[i]));
  double sum = 0;
  for (std::int64_t i = 0; i < K; ++i) sum += p[i] = std::exp(double(u[i]) - mx);
  for (std::int64_t i = 0; i < K; ++i) p[i] /= sum;
  const double scale = 1 - min_size * double(K);
  double cum = 0;
  loc[0] = -B;
  for (std::int64_t i = 0; i + 1 < K; ++i) {
    cum += min_size + scale * p[i];
    loc[i + 1] = 2 * B * cum - B;
  }
  loc[K] = B;
}

// Per-chunk scratch: probabilities and knots of widths and heights and their gradients. Everything per
// element is evaluated in double (float32 tensors too): the inverse of a flat bin amplifies rounding.
struct Scratch {
  std::vector<double> buf;
  double *pw, *cw, *ph, *ch, *gcw, *gch, *gp;
  explicit Scratch(std::int64_t K) : buf(static_cast<std::size_t>(7 * (K + 1))) {
    double* b = buf.data();
    for (double** q : {&pw, &cw, &ph, &ch, &gcw, &gch, &gp}) {
      *q = b;
      b += K + 1;
    }
  }
};

template <typename T>
void element_knots(Scratch& s, const T* uw, const T* uh, std::int64_t K, const RqSplineConfig& cfg) {
  knots(s.pw, s.cw, uw, K, cfg.min_bin_width, cfg.tail_bound);
  knots(s.ph, s.ch, uh, K, cfg.min_bin_height, cfg.tail_bound);
}

// Knot-position gradients gloc (K+1) -> unnormalised-parameter gradients du (K) through cumsum and softmax.
template <typename T>
void knots_backward(T* du, const double* gloc, const double* p, double* gp, std::int64_t K, double min_size,
                    double B) {
  const double scale = 1 - min_size * double(K);
  double run = 0, dot = 0;
  gp[K - 1] = 0;  // the last bin's size only moves the pinned end knot
  for (std::int64_t i = K - 2; i >= 0; --i) {
    run += 2 * B * gloc[i + 1];
    gp[i] = scale * run;
  }
  for (std::int64_t i = 0; i < K; ++i) dot += p[i] * gp[i];
  for (std::int64_t i = 0; i < K; ++i) du[i] += T(p[i] * (gp[i] - dot));
}

}  // namespace

template <typename T>
void rq_spline_forward(T* out, T* logabsdet, std::int32_t* bin, const T* in, const T* uw, const T* uh, const T* ud,
                       std::int64_t n, std::int64_t K, const RqSplineConfig& cfg) {
  const double B = cfg.tail_bound, edge = edge_slope(cfg.min_derivative);
  parallel_for(n, kGrain, [&](std::int64_t lo, std::int64_t hi) {
    Scratch s(K);
    for (std::int64_t i = lo; i < hi; ++i) {
      const double x = in[i];
      if (!(x >= -B && x <= B)) {  // identity tails (NaN inputs are refused by the op)
        out[i] = in[i];
        logabsdet[i] = 0;
        bin[i] = -1;
        continue;
      }
      element_knots(s, uw + i * K, uh + i * K, K, cfg);
      const double* loc = cfg.inverse ? s.ch : s.cw;
      std::int64_t k = -1;
      for (std::int64_t j = 0; j <= K; ++j) k += x >= (j == K ? loc[j] + kSearchEps : loc[j]);
      bin[i] = static_cast<std::int32_t>(k);
      double y, ld;
      const T* udi = ud + i * (K - 1);
      local_spline<double, double>(y, ld, x, s.cw[k], s.cw[k + 1] - s.cw[k], s.ch[k], s.ch[k + 1] - s.ch[k],
                                   slope_at(udi, k, K, cfg.min_derivative, edge),
                                   slope_at(udi, k + 1, K, cfg.min_derivative, edge), cfg.inverse);
      out[i] = T(y);
      logabsdet[i] = T(ld);
    }
  });
}

template <typename T>
void rq_spline_backward(T* din, T* duw, T* duh, T* dud, const T* dout, const T* dlogabsdet, const std::int32_t* bin,
                        const T* in, const T* uw, const T* uh, const T* ud, std::int64_t n, std::int64_t K,
                        const RqSplineConfig& cfg) {
  using D = detail::Dual<double, 7>;
  const double edge = edge_slope(cfg.min_derivative);
  parallel_for(n, kGrain, [&](std::int64_t lo, std::int64_t hi) {
    Scratch s(K);
    for (std::int64_t i = lo; i < hi; ++i) {
      const std::int32_t k = bin[i];
      if (k < 0) {
        if (din) din[i] += dout[i];
        continue;
      }
      element_knots(s, uw + i * K, uh + i * K, K, cfg);
      const T* udi = ud + i * (K - 1);
      // Tangent directions: 0 x, 1 xk, 2 wk, 3 yk, 4 hk, 5 dk, 6 dk1.
      D y, ld;
      local_spline<D, double>(y, ld, D::variable(in[i], 0), D::variable(s.cw[k], 1),
                              D::variable(s.cw[k + 1] - s.cw[k], 2),
                         D::variable(s.ch[k], 3), D::variable(s.ch[k + 1] - s.ch[k], 4),
                         D::variable(slope_at(udi, k, K, cfg.min_derivative, edge), 5),
                         D::variable(slope_at(udi, k + 1, K, cfg.min_derivative, edge), 6), cfg.inverse);
      double g[7];
      for (int j = 0; j < 7; ++j) g[j] = double(dout[i]) * y.g[j] + double(dlogabsdet[i]) * ld.g[j];
      if (din) din[i] += T(g[0]);
      std::fill(s.gcw, s.gcw + 2 * (K + 1), 0.0);  // gcw and gch are consecutive
      s.gcw[k] += g[1] - g[2];
      s.gcw[k + 1] += g[2];
      s.gch[k] += g[3] - g[4];
      s.gch[k + 1] += g[4];
      const double B = cfg.tail_bound;
      if (duw) knots_backward(duw + i * K, s.gcw, s.pw, s.gp, K, cfg.min_bin_width, B);
      if (duh) knots_backward(duh + i * K, s.gch, s.ph, s.gp, K, cfg.min_bin_height, B);
      // Only the bin's two slopes were used; the end knots' slopes are constants.
      for (int e = 0; e < 2 && dud; ++e) {
        const std::int64_t j = k + e;
        if (j > 0 && j < K) dud[i * (K - 1) + j - 1] += T(g[5 + e] * softplus_grad(double(udi[j - 1])));
      }
    }
  });
}

template <typename T>
int rq_spline_nonfinite(const T* in, const T* uw, const T* uh, const T* ud, std::int64_t n, std::int64_t K) {
  auto bad = [](const T* v, std::int64_t m) {
    bool finite = true;
    for (std::int64_t i = 0; i < m; ++i) finite &= std::isfinite(v[i]);
    return !finite;
  };
  return int(bad(in, n)) | int(bad(uw, n * K)) << 1 | int(bad(uh, n * K)) << 2 | int(bad(ud, n * (K - 1))) << 3;
}

#define SPECNET_INSTANTIATE(T)                                                                                      \
  template void rq_spline_forward<T>(T*, T*, std::int32_t*, const T*, const T*, const T*, const T*, std::int64_t,  \
                                     std::int64_t, const RqSplineConfig&);                                          \
  template void rq_spline_backward<T>(T*, T*, T*, T*, const T*, const T*, const std::int32_t*, const T*, const T*, \
                                      const T*, const T*, std::int64_t, std::int64_t, const RqSplineConfig&);      \
  template int rq_spline_nonfinite<T>(const T*, const T*, const T*, const T*, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cpu
