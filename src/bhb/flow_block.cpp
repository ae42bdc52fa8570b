// Vectorised inverse rational-quadratic spline over a block of draws and the Philox Box-Muller noise of
// FastFlowSampler (nflows' spline formulas; see flow_block.h).
#include "flow_block.h"

// GCC 12 reports -Wuninitialized false positives inside Eigen's AVX-512 log / sincos packet code instantiated here.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "specnet/rng.h"

namespace specnet::bhb::detail {
namespace {
using ArrRF = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrF = Eigen::Array<float, 1, Eigen::Dynamic>;
using ArrD = Eigen::Array<double, 1, Eigen::Dynamic>;
}  // namespace

// Inverse rational-quadratic spline of one feature over a block: y (N) in, params (M, N) row-major raw MADE outputs
// (widths and heights already scaled; each row contiguous) -> x (N) and, if ld, ld += log|dx/dy|. nflows' formulas.
void spline_inverse_block(const nn::SplineFlowOptions& o, const float* y, const float* P, std::int64_t ldp,
                          std::int64_t N, float* x, double* ld) {
  const std::int64_t K = o.bins;
  const float B = static_cast<float>(o.tail_bound);
  auto row = [&](std::int64_t r) { return Eigen::Map<const ArrF>(P + r * ldp, N); };
  // Knot positions (K+1, N) from softmax(u) with the minimum bin size, end knots pinned to -B and B.
  auto knots = [&](std::int64_t row0, double min_size, ArrRF& loc) {
    ArrF mx = row(row0);
    for (std::int64_t k = 1; k < K; ++k) mx = mx.max(row(row0 + k));
    ArrRF e(K, N);
    for (std::int64_t k = 0; k < K; ++k) e.row(k) = (row(row0 + k) - mx).exp();
    ArrF sum = e.row(0);
    for (std::int64_t k = 1; k < K; ++k) sum += e.row(k);
    const ArrF sc = static_cast<float>(1 - min_size * K) / sum;
    loc.resize(K + 1, N);
    loc.row(0).setConstant(-B);
    ArrF cum = ArrF::Zero(N);
    for (std::int64_t k = 0; k + 1 < K; ++k) {
      cum += static_cast<float>(min_size) + sc * e.row(k);
      loc.row(k + 1) = 2 * B * cum - B;
    }
    loc.row(K).setConstant(B);
  };
  ArrRF cw, ch;
  knots(0, o.min_bin_width, cw);
  knots(K, o.min_bin_height, ch);
  Eigen::Map<const ArrF> yv(y, N);
  // Bin search (nflows adds 1e-6 to the last knot, so y = B falls in bin K-1), then gather the bin's quantities; the
  // raw inner slopes are gathered first and go through softplus (torch threshold 20) + min_derivative once.
  ArrF xk = cw.row(0), wk = cw.row(1) - cw.row(0), yk = ch.row(0), hk = ch.row(1) - ch.row(0);
  const float kEdge = 1e30f;  // marks an end knot, whose slope is nflows' padding constant (= 1)
  ArrF rk = ArrF::Constant(N, kEdge), rk1 = K > 1 ? ArrF(row(2 * K)) : ArrF::Constant(N, kEdge);
  for (std::int64_t k = 1; k < K; ++k) {
    const auto in = yv >= ch.row(k);
    xk = in.select(cw.row(k), xk);
    wk = in.select(cw.row(k + 1) - cw.row(k), wk);
    yk = in.select(ch.row(k), yk);
    hk = in.select(ch.row(k + 1) - ch.row(k), hk);
    rk = in.select(row(2 * K + k - 1), rk);
    rk1 = in.select(k + 1 < K ? ArrF(row(2 * K + k)) : ArrF::Constant(N, kEdge), rk1);
  }
  const float edge =
      static_cast<float>(o.min_derivative + std::log1p(std::exp(std::log(std::expm1(1.0 - o.min_derivative)))));
  const float md = static_cast<float>(o.min_derivative);
  // softplus(r) = max(r, 0) + log(1 + exp(-|r|)) (vectorised; equal to torch's within float rounding).
  auto slope = [&](const ArrF& r) {
    const ArrF sp = (r > 20.f).select(r, r.max(0.f) + (1.f + (-r.abs()).exp()).log()) + md;
    return ArrF((r == kEdge).select(ArrF::Constant(N, edge), sp));
  };
  const ArrD Y = yv.cast<double>(), Wk = wk.cast<double>(), Hk = hk.cast<double>(), D0 = slope(rk).cast<double>(),
             D1 = slope(rk1).cast<double>();
  const ArrD s = Hk / Wk, curv = D0 + D1 - 2 * s, dy = Y - yk.cast<double>();
  const ArrD a = dy * curv + Hk * (s - D0), b = Hk * D0 - dy * curv, c = -s * dy;
  const ArrD disc = (b * b - 4 * a * c).max(0.0);
  const ArrD th = 2 * c / (-b - disc.sqrt());
  const ArrD X = th * Wk + xk.cast<double>();
  const auto inside = (yv >= -B) && (yv <= B);
  Eigen::Map<ArrF> xv(x, N);
  xv = inside.select(X.cast<float>(), yv);
  if (ld) {
    const ArrD t1 = th * (1 - th);
    const ArrD num = s * s * (D1 * th * th + 2 * s * t1 + D0 * (1 - th) * (1 - th));
    const ArrD den = s + curv * t1;
    const ArrD l = -(num.log() - 2 * den.log());
    Eigen::Map<ArrD> lv(ld, N);
    lv += inside.cast<double>() * l.isFinite().select(l, 0.0);
  }
}

// Box-Muller normals for draws [j0, j0 + N) of one context: draw j, feature k uses block j * ceil(D/2) + k / 2 of
// Philox stream (seed, b); cos for even k, sin for odd k.
void noise_block(std::uint64_t seed, std::int64_t b, std::int64_t j0, std::int64_t N, std::int64_t D, float* z) {
  const Rng rng(seed, static_cast<std::uint64_t>(b));
  const std::int64_t per = (D + 1) / 2;
  Eigen::ArrayXf u1(N * per), u2(N * per);
  for (std::int64_t j = 0; j < N; ++j)
    for (std::int64_t q = 0; q < per; ++q) {
      const auto w = rng.block(static_cast<std::uint64_t>((j0 + j) * per + q));
      u1[j * per + q] = static_cast<float>(u32_to_unit(w[0], w[1]));
      u2[j * per + q] = static_cast<float>(u32_to_unit(w[2], w[3]));
    }
  const Eigen::ArrayXf r = (-2.f * u1.max(1e-30f).log()).sqrt(), ang = 6.2831853f * u2;
  const Eigen::ArrayXf zc = r * ang.cos(), zs = r * ang.sin();
  for (std::int64_t j = 0; j < N; ++j)
    for (std::int64_t k = 0; k < D; ++k) z[j * D + k] = (k % 2 == 0 ? zc : zs)[j * per + k / 2];
}

void block_noise(std::uint64_t seed, std::int64_t n, std::int64_t c0, std::int64_t N, std::int64_t D, float* z) {
  for (std::int64_t j = 0; j < N;) {  // runs of draws of one context
    const std::int64_t b = (c0 + j) / n, first = (c0 + j) % n, run = std::min(N - j, n - first);
    noise_block(seed, b, first, run, D, z + j * D);
    j += run;
  }
}

void block_base_noise(const float* z_in, std::uint64_t seed, std::int64_t n, std::int64_t c0, std::int64_t N,
                      std::int64_t D, const nn::SplineFlowOptions& o, float* z) {
  if (z_in) std::copy(z_in + c0 * D, z_in + (c0 + N) * D, z);
  else block_noise(seed, n, c0, N, D, z);
  const double s = o.base_scale;
  if (o.base_df > 0) {
    for (std::int64_t j = 0; j < N; ++j) {
      const std::int64_t b = (c0 + j) / n, jj = (c0 + j) % n;
      const double f = s * nn::student_t_factor(Rng(seed, static_cast<std::uint64_t>(b)),
                                                kStudentTFirstBlock + static_cast<std::uint64_t>(jj) * nn::kStudentTBlocks,
                                                o.base_df);
      for (std::int64_t k = 0; k < D; ++k) z[j * D + k] = static_cast<float>(z[j * D + k] * f);
    }
  } else if (s != 1) {
    for (std::int64_t i = 0; i < N * D; ++i) z[i] = static_cast<float>(z[i] * s);
  }
}

void block_output(const float* x, std::int64_t sj, std::int64_t sk, const float* z, const double* ld, std::int64_t c0,
                  std::int64_t N, std::int64_t D, const nn::SplineFlowOptions& o, float* samples, float* log_q) {
  for (std::int64_t j = 0; j < N; ++j) {
    double zz = 0;
    for (std::int64_t k = 0; k < D; ++k) {
      samples[(c0 + j) * D + k] = x[j * sj + k * sk];
      zz += double(z[j * D + k]) * z[j * D + k];
    }
    if (log_q) log_q[c0 + j] = static_cast<float>(nn::base_log_density(zz, D, o.base_scale, o.base_df) - ld[j]);
  }
}

}  // namespace specnet::bhb::detail
