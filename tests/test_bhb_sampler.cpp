// bhb::FastFlowSampler against nn::SplineFlow: its draws map back to their noise through to_noise, its log q equals
// log_prob at the draw, draws are identical for 1 and 2 threads, and bad input is rejected.
#include <algorithm>
#include <cmath>

#include "harness.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/context.h"
#include "specnet/ops/arith.h"

using namespace specnet;

namespace {
std::unique_ptr<nn::SplineFlow> noisy_flow(std::int64_t D, std::int64_t C, std::int64_t T, std::vector<std::int64_t> hidden,
                                           std::uint64_t seed) {
  nn::SplineFlowOptions o;
  o.features = D;
  o.context_features = C;
  o.transforms = T;
  o.hidden = hidden;
  o.bins = 6;
  o.tail_bound = 4;
  Rng rng(seed);
  auto flow = std::make_unique<nn::SplineFlow>(o, rng, DType::f32);
  NoGradGuard ng;
  for (auto& [name, p] : flow->named_parameters()) p.copy_(p + Tensor::randn(p.shape(), rng) * 0.3);
  return flow;
}
}  // namespace

TEST_CASE("bhb FastFlowSampler: draws invert to their noise and carry log q(theta | context)") {
  struct Base {
    double scale, df;
  };
  for (const Base base : {Base{1, 0}, Base{1.5, 0}, Base{0.7, 5}})
  for (std::int64_t D : {1, 2, 5}) {
    CAPTURE(D);
    CAPTURE(base.scale);
    CAPTURE(base.df);
    auto flow = noisy_flow(D, 7, 3, {15, 15, 15}, 60 + D);
    flow->options.base_scale = base.scale;  // the sampler takes the base from the flow, as log_prob below
    flow->options.base_df = base.df;
    bhb::FastFlowSampler fast(*flow);
    const std::int64_t B = 3, n = 300;  // 900 draws: more than one 512-draw block, blocks spanning contexts
    Tensor ctx = test::random_input({B, 7}, 5, false, DType::f32);
    Rng zr(9);
    Tensor z = Tensor::randn({B, n, D}, zr);
    const auto cd = ctx.to_vector();
    std::vector<float> cv(cd.begin(), cd.end()), zv, s(B * n * D), lq(B * n);
    for (double v : z.to_vector()) zv.push_back(static_cast<float>(v));
    fast.sample_from_noise(cv.data(), B, n, zv.data(), s.data(), lq.data(), 11);
    std::vector<double> sd(s.begin(), s.end());
    Tensor theta = Tensor::from_vector(sd, {B, n, D});
    NoGradGuard ng;
    auto [z_back, logdet] = flow->to_noise(theta, ctx.unsqueeze(1));
    const auto zb = z_back.to_vector();
    const auto lp = flow->log_prob(theta, ctx.unsqueeze(1)).to_vector();
    double max_dz = 0, max_dl = 0;
    // The base noise is the given normal times one factor per draw: the scale, times the t's radial factor.
    double mean_inv_sq = 0;
    for (std::int64_t j = 0; j < B * n; ++j) {
      std::int64_t k0 = 0;  // the feature with the largest |noise| gives the best-conditioned ratio
      for (std::int64_t k = 1; k < D; ++k)
        if (std::abs(zv[j * D + k]) > std::abs(zv[j * D + k0])) k0 = k;
      const double f = zb[j * D + k0] / zv[j * D + k0];
      for (std::int64_t k = 0; k < D; ++k) max_dz = std::max(max_dz, std::abs(zb[j * D + k] - f * zv[j * D + k]));
      if (base.df == 0) max_dz = std::max(max_dz, std::abs(f - base.scale) * std::abs(zv[j * D + k0]));
      mean_inv_sq += base.scale * base.scale / (f * f);
    }
    for (std::size_t i = 0; i < lp.size(); ++i) max_dl = std::max(max_dl, std::abs(lp[i] - lq[i]));
    CHECK(max_dz < 2e-4);
    CHECK(max_dl < 2e-3);
    // t: (s / factor)^2 = W / nu with W ~ chi^2_nu, mean 1 and variance 2 / nu (4 standard errors).
    if (base.df > 0) CHECK(std::abs(mean_inv_sq / double(B * n) - 1) < 4 * std::sqrt(2 / base.df / double(B * n)));
  }
}

TEST_CASE("bhb FastFlowSampler: paper-size flow, same draws for 1 and 2 threads, MAC count") {
  nn::SplineFlowOptions o;  // paper defaults: 5 features, context 120, 10 transforms, [120,120,120], 8 bins
  Rng rng(3);
  nn::SplineFlow flow(o, rng);
  bhb::FastFlowSampler fast(flow);
  // Degree-ordered hidden units: 30 per degree 1..4; layers 2-3: 30*30*(1+2+3+4), layer 1: 30*(1+2+3+4),
  // output: 23*30*(0+1+2+3+4), per transform.
  CHECK(fast.macs_per_draw() == doctest::Approx(10.0 * (2 * 9000 + 300 + 6900)));
  const std::int64_t B = 4, n = 100;
  std::vector<float> ctx(B * 120);
  Rng cr(4);
  for (auto& v : ctx) v = static_cast<float>(cr.normal());
  std::vector<float> a(B * n * 5), b(B * n * 5), la(B * n), lb(B * n);
  // Draws (and log q) of 1 and 2 threads, bit for bit: into a / la, and b / lb.
  auto threads_agree = [&](const bhb::FastFlowSampler& f) {
    set_num_threads(1);
    f.sample(ctx.data(), B, n, 77, a.data(), la.data());
    set_num_threads(2);
    f.sample(ctx.data(), B, n, 77, b.data(), lb.data());
    set_num_threads(0);
    CHECK(a == b);
    CHECK(la == lb);
  };
  bhb::FastFlowSampler ft(flow);  // a Student-t base, whose radial factors come from their own Philox blocks
  ft.set_base(0.9, 7);
  threads_agree(ft);
  const std::vector<float> t_draws = a;
  threads_agree(fast);
  CHECK(a != t_draws);  // the bases' draws differ
  // The first context's draws do not depend on how many contexts are sampled together, bit for bit, in either
  // precision: the context projection runs in fixed chunks and every draw block at full width, so the GEMM shapes
  // do not change with B (700 draws: the second block is partial alone and shared with the next context in a batch).
  for (auto precision : {bhb::FastFlowSampler::Precision::f32, bhb::FastFlowSampler::Precision::bf16}) {
    bhb::FastFlowSampler fp(flow, precision);
    CAPTURE(bhb::FastFlowSampler::precision_name(fp.precision()));
    const std::int64_t n7 = 700;
    std::vector<float> all(B * n7 * 5), all_lq(B * n7), one(n7 * 5), one_lq(n7);
    fp.sample(ctx.data(), B, n7, 77, all.data(), all_lq.data());
    fp.sample(ctx.data(), 1, n7, 77, one.data(), one_lq.data());
    CHECK(std::equal(one.begin(), one.end(), all.begin()));
    CHECK(std::equal(one_lq.begin(), one_lq.end(), all_lq.begin()));
  }
  // Moments of the base through an untrained flow: finite and not degenerate.
  double m = 0, m2 = 0;
  for (float v : a) m += v, m2 += double(v) * v;
  m /= a.size();
  CHECK(std::isfinite(m));
  CHECK(m2 / a.size() - m * m > 0.1);
}

TEST_CASE("bhb FastFlowSampler: bad input") {
  nn::SplineFlowOptions o;
  o.context_features = 4;
  o.transforms = 2;
  o.hidden = {8, 8};
  Rng rng(1);
  nn::SplineFlow flow(o, rng);
  bhb::FastFlowSampler fast(flow);
  std::vector<float> ctx(4, 0.f), out(5);
  CHECK_THROWS_AS(fast.sample(ctx.data(), 0, 1, 0, out.data()), Error);
  CHECK_THROWS_AS(fast.sample(ctx.data(), 1, 0, 0, out.data()), Error);
  ctx[2] = std::nanf("");
  CHECK_THROWS_AS(fast.sample(ctx.data(), 1, 1, 0, out.data()), Error);
  CHECK_THROWS_AS(fast.sample_from_noise(ctx.data(), 1, 1, nullptr, out.data()), Error);
  CHECK_THROWS_WITH(fast.set_base(0), doctest::Contains("base_scale"));
  CHECK_THROWS_WITH(fast.set_base(1, -1), doctest::Contains("base_df"));
  CHECK_THROWS_WITH(fast.set_base(std::nan(""), 0), doctest::Contains("base_scale"));
}
