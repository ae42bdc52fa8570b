// nn::SplineFlow: the density integrates to 1 on grids in 1 and 2 dimensions, draws agree with log_prob
// (same value from the sampling pass, matching first and second moments), finite-difference gradients of
// log_prob (theta, context, parameters) and of reparameterised draws (context), paper-size shapes, bad input.
#include <algorithm>
#include <cmath>

#include "harness.h"
#include "specnet/context.h"
#include "specnet/nn/spline_flow.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/math.h"
#include "specnet/ops/reduce.h"

using namespace specnet;

namespace {

// A small random flow whose splines are far from the identity: every parameter gets extra N(0, spread^2) noise.
std::unique_ptr<nn::SplineFlow> random_flow(std::int64_t D, std::int64_t C, std::uint64_t seed, double spread = 0.7) {
  nn::SplineFlowOptions o;
  o.features = D;
  o.context_features = C;
  o.transforms = 3;
  o.hidden = {12, 12};
  o.bins = 5;
  o.tail_bound = 3;
  Rng rng(seed);
  auto flow = std::make_unique<nn::SplineFlow>(o, rng, DType::f64);
  NoGradGuard ng;
  for (auto& [name, p] : flow->named_parameters()) p.copy_(p + Tensor::randn(p.shape(), rng, DType::f64) * spread);
  return flow;
}

// Grid points of [-L, L]^D (D = 1 or 2) with G points per axis, as a (G^D, D) tensor.
Tensor grid(std::int64_t D, std::int64_t G, double L) {
  std::vector<double> v;
  const double h = 2 * L / double(G - 1);
  if (D == 1)
    for (std::int64_t i = 0; i < G; ++i) v.push_back(-L + i * h);
  else
    for (std::int64_t i = 0; i < G; ++i)
      for (std::int64_t j = 0; j < G; ++j) v.push_back(-L + i * h), v.push_back(-L + j * h);
  return Tensor::from_vector(v, {std::int64_t(v.size()) / D, D}, DType::f64);
}

}  // namespace

// Bases the density tests run on: the standard normal, a wider normal (a calibrated temperature) and a Student t.
struct BaseCase {
  double scale, df;
};
const BaseCase kBases[] = {{1, 0}, {1.4, 0}, {0.8, 6}};

TEST_CASE("SplineFlow: q(theta | context) integrates to 1 in one and two dimensions") {
  for (const BaseCase base : kBases)
  for (std::int64_t D : {1, 2}) {
    // Spiky densities (peaks of 30 and more) in 1-D on a fine grid; milder ones on the 2-D grid.
    auto flow = random_flow(D, 3, 40 + D, D == 1 ? 0.7 : 0.3);
    flow->options.base_scale = base.scale;
    flow->options.base_df = base.df;
    CAPTURE(base.scale);
    CAPTURE(base.df);
    const std::int64_t G = D == 1 ? 100001 : 501;
    const double L = 10, h = 2 * L / double(G - 1);
    Tensor pts = grid(D, G, L);
    for (std::uint64_t c = 0; c < 2; ++c) {
      Tensor ctx = test::random_input({1, 3}, 50 + c);
      auto q = exp(flow->log_prob(pts, ctx)).to_vector();
      double total = 0;  // midpoint-free Riemann sum: the density is smooth and ~0 at the grid edge
      for (double v : q) total += v;
      total *= std::pow(h, double(D));
      CAPTURE(D);
      CHECK(total == doctest::Approx(1.0).epsilon(D == 1 ? 1e-4 : 1e-3));
    }
  }
}

TEST_CASE("SplineFlow: draws carry the log_prob of their point and match the density's moments") {
  for (const BaseCase base : {BaseCase{1, 0}, BaseCase{1.3, 0}, BaseCase{0.8, 9}}) {
  CAPTURE(base.scale);
  CAPTURE(base.df);
  const std::int64_t D = 2, n = 20000, G = 401;
  auto flow = random_flow(D, 3, 61, 0.3);
  flow->options.base_scale = base.scale;
  flow->options.base_df = base.df;
  Tensor ctx = test::random_input({2, 3}, 62);
  Rng rng(63);
  nn::FlowSample s = flow->rsample(n, ctx, rng, true);
  REQUIRE(s.samples.shape() == Shape{2, n, D});
  REQUIRE(s.log_prob.shape() == Shape{2, n});
  // Evaluating the drawn points gives back the sampling pass's log q (the inverse is exact).
  Tensor lp = flow->log_prob(s.samples, ctx.unsqueeze(1));
  CHECK(test::max_abs_diff(lp, s.log_prob) < 1e-8);
  // Moments from the grid density vs sample moments (4 standard errors).
  const double L = 10, h = 2 * L / double(G - 1);
  Tensor pts = grid(D, G, L);
  auto sv = s.samples.to_vector();
  for (std::int64_t b = 0; b < 2; ++b) {
    auto q = exp(flow->log_prob(pts, ctx.slice(0, b, b + 1))).to_vector();
    auto p = pts.to_vector();
    for (std::int64_t d = 0; d < D; ++d) {
      double m1 = 0, m2 = 0, s1 = 0, s2 = 0;
      for (std::size_t i = 0; i < q.size(); ++i) {
        const double v = p[i * D + d], mass = q[i] * h * h;
        m1 += mass * v, m2 += mass * v * v;
      }
      for (std::int64_t k = 0; k < n; ++k) {
        double v = sv[(b * n + k) * D + d];
        s1 += v, s2 += v * v;
      }
      s1 /= n, s2 /= n;
      const double var = m2 - m1 * m1;
      CAPTURE(b);
      CAPTURE(d);
      CHECK(std::abs(s1 - m1) < 4 * std::sqrt(var / n));
      CHECK(std::abs(s2 - m2) < 4 * std::sqrt(2 * var * var / n + 4 * m1 * m1 * var / n) + 1e-3);
    }
  }
  }
}

TEST_CASE("SplineFlow: gradients of log_prob and of draws by finite differences") {
  auto flow = random_flow(3, 2, 71, 0.5);
  // w.r.t. theta and context
  double err = test::gradcheck([&](const auto& x) { return flow->log_prob(x[0], x[1]); },
                               {test::random_input({5, 3}, 72) * 1.5, test::random_input({5, 2}, 73)}, 1e-6, 1e-5);
  CHECK(err < 1e-5);
  // the same through a Student-t base
  flow->options.base_scale = 0.9;
  flow->options.base_df = 4;
  err = test::gradcheck([&](const auto& x) { return flow->log_prob(x[0], x[1]); },
                        {test::random_input({5, 3}, 78) * 1.5, test::random_input({5, 2}, 79)}, 1e-6, 1e-5);
  CHECK(err < 1e-5);
  flow->options.base_scale = 1;
  flow->options.base_df = 0;
  // w.r.t. the context through reparameterised draws (the same noise on every call)
  err = test::gradcheck(
      [&](const auto& x) {
        Rng rng(74);
        return flow->rsample(4, x[0], rng).samples;
      },
      {test::random_input({2, 2}, 75)}, 1e-6, 1e-5);
  CHECK(err < 1e-5);
  // w.r.t. parameters: a few entries of every tensor of the first MADE
  Tensor theta = test::random_input({6, 3}, 76), ctx = test::random_input({6, 2}, 77);
  flow->zero_grad();
  sum(flow->log_prob(theta, ctx)).backward();
  for (auto& [name, p] : flow->named_parameters()) {
    if (name.rfind("transforms.0.", 0) != 0) continue;
    auto g = p.grad().to_vector();
    for (std::int64_t i = 0; i < p.numel(); i += std::max<std::int64_t>(1, p.numel() / 4)) {
      double f[2];
      for (int s = 0; s < 2; ++s) {
        NoGradGuard ng;
        const double old = p.data<double>()[i];
        p.data<double>()[i] = old + (s ? -1e-6 : 1e-6);
        f[s] = sum(flow->log_prob(theta, ctx)).item();
        p.data<double>()[i] = old;
      }
      CAPTURE(name);
      CHECK(g[i] == doctest::Approx((f[0] - f[1]) / 2e-6).epsilon(1e-5).scale(1e-6));
    }
  }
}

TEST_CASE("SplineFlow: paper-size flow (5 features, 10 transforms, 8 bins, context 120) shapes and timing") {
  nn::SplineFlowOptions o;  // the defaults are the paper's settings
  Rng rng(81);
  nn::SplineFlow flow(o, rng);
  CHECK(flow.named_parameters().size() == 10 * 10);
  Tensor ctx = Tensor::randn({8, 120}, rng);
  nn::FlowSample s = flow.rsample(100, ctx, rng, true);
  CHECK(s.samples.shape() == Shape{8, 100, 5});
  Tensor lp = flow.log_prob(s.samples, ctx.unsqueeze(1));
  CHECK(test::max_abs_diff(lp, s.log_prob) < 2e-3);
  CHECK_THROWS_WITH(flow.log_prob(Tensor::zeros({4, 4}), ctx), doctest::Contains("theta must be"));
  CHECK_THROWS_WITH(flow.rsample(3, Tensor::zeros({8, 7}), rng), doctest::Contains("context must be"));
  CHECK_THROWS_WITH(flow.log_prob(Tensor::zeros({4, 5}), Tensor()), doctest::Contains("context"));
  CHECK_THROWS_WITH(flow.rsample(0, ctx, rng), doctest::Contains("positive"));
  nn::SplineFlowOptions bad;
  bad.bins = 1;
  CHECK_THROWS_WITH(nn::SplineFlow(bad, rng), doctest::Contains("bins >= 2"));
  bad = {};
  bad.min_bin_width = 0.2;
  CHECK_THROWS_WITH(nn::SplineFlow(bad, rng), doctest::Contains("invalid spline settings"));
  bad = {};
  bad.hidden = {};
  CHECK_THROWS_WITH(nn::SplineFlow(bad, rng), doctest::Contains("hidden layer"));
  bad = {};
  bad.base_scale = 0;
  CHECK_THROWS_WITH(nn::SplineFlow(bad, rng), doctest::Contains("base_scale"));
  bad = {};
  bad.base_df = -2;
  CHECK_THROWS_WITH(nn::SplineFlow(bad, rng), doctest::Contains("base_df"));
  flow.options.base_df = std::nan("");  // options are public: set after construction, checked where used
  CHECK_THROWS_WITH(flow.log_prob(s.samples, ctx.unsqueeze(1)), doctest::Contains("base_df"));
  CHECK_THROWS_WITH(flow.rsample(3, ctx, rng), doctest::Contains("base_df"));
}

TEST_CASE("SplineFlow base: densities against scipy, the t factor's distribution") {
  constexpr double kMedianF51p5 = 1.4298171811950235;  // scipy f.ppf(0.5, 5, 1.5)
  // scipy.stats 1.17: t.logpdf(0.7, 3, scale=1.3); multivariate_t.logpdf((0.5, -1, 2), shape=0.81 I, df=5);
  // multivariate_normal.logpdf of the same point, cov 1.44 I.
  CHECK(nn::base_log_density(0.49, 1, 1.3, 3) == doctest::Approx(-1.4477676954097993).epsilon(1e-13));
  CHECK(nn::base_log_density(5.25, 3, 0.9, 5) == doctest::Approx(-5.6332836278596865).epsilon(1e-13));
  CHECK(nn::base_log_density(5.25, 3, 1.2, 0) == doctest::Approx(-5.126696936662549).epsilon(1e-13));
  // A large df approaches the normal.
  CHECK(nn::base_log_density(2.0, 5, 1.1, 1e8) == doctest::Approx(nn::base_log_density(2.0, 5, 1.1, 0)).epsilon(1e-6));
  // z = eps * factor with eps standard normal in D = 5: |z|^2 / 5 ~ F(5, nu). Quantiles 0.1 / 0.5 / 0.9 of F(5, 4)
  // (scipy f.ppf) against 40,000 draws, and E|z|^2 = 5 nu / (nu - 2) for nu = 9; nu = 1.5 exercises the a < 1 path
  // (median of F(5, 1.5) from the same draws' ordering: P(|z|^2 / 5 <= q) at scipy's q).
  const std::int64_t n = 40000, D = 5;
  Rng rng(7);
  for (double df : {4.0, 9.0, 1.5}) {
    std::vector<double> f2(n);
    double mean = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      double r2 = 0;
      for (std::int64_t k = 0; k < D; ++k) {
        const double e = rng.normal();
        r2 += e * e;
      }
      const double f = nn::student_t_factor(rng, rng.reserve(nn::kStudentTBlocks), df);
      f2[i] = r2 * f * f / D;
      mean += r2 * f * f;
    }
    std::sort(f2.begin(), f2.end());
    CAPTURE(df);
    if (df == 4) {
      const double q[3] = {0.28407507, 1.03673967, 4.05057907}, p[3] = {0.1, 0.5, 0.9};
      for (int k = 0; k < 3; ++k) {
        const double frac = double(std::upper_bound(f2.begin(), f2.end(), q[k]) - f2.begin()) / n;
        CHECK(std::abs(frac - p[k]) < 4 * std::sqrt(p[k] * (1 - p[k]) / n));
      }
    } else if (df == 9) {
      // Var |z|^2 is finite for nu > 4: 4 standard errors, estimated from the draws.
      double m = mean / n, v = 0;
      for (double x : f2) v += (x * D - m) * (x * D - m);
      CHECK(std::abs(m - D * df / (df - 2)) < 4 * std::sqrt(v / n / n));
    } else {
      const double frac = double(std::upper_bound(f2.begin(), f2.end(), kMedianF51p5) - f2.begin()) / n;
      CHECK(std::abs(frac - 0.5) < 4 * std::sqrt(0.25 / n));
    }
  }
}

TEST_CASE("SplineFlow: log_prob, draws and gradients are bitwise identical for 1 and 3 threads") {
  std::vector<double> ref;
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    auto flow = random_flow(3, 2, 91, 0.5);
    Tensor theta = test::random_input({700, 3}, 92), ctx = test::random_input({700, 2}, 93);
    Tensor lp = flow->log_prob(theta, ctx);
    Rng rng(94);
    nn::FlowSample s = flow->rsample(3, ctx.slice(0, 0, 250), rng, true);
    (sum(lp) + sum(s.log_prob)).backward();
    std::vector<double> all = lp.to_vector();
    for (double v : s.samples.to_vector()) all.push_back(v);
    for (auto& [n, p] : flow->named_parameters())
      for (double v : p.grad().to_vector()) all.push_back(v);
    if (ref.empty()) ref = all;
    else CHECK(all == ref);
  }
  set_num_threads(0);
}
