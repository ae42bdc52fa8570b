// nn::SplineFlow: the density integrates to 1 on grids in 1 and 2 dimensions, draws agree with log_prob
// (same value from the sampling pass, matching first and second moments), finite-difference gradients of
// log_prob (theta, context, parameters) and of reparameterised draws (context), paper-size shapes, bad input.
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

TEST_CASE("SplineFlow: q(theta | context) integrates to 1 in one and two dimensions") {
  for (std::int64_t D : {1, 2}) {
    // Spiky densities (peaks of 30 and more) in 1-D on a fine grid; milder ones on the 2-D grid.
    auto flow = random_flow(D, 3, 40 + D, D == 1 ? 0.7 : 0.3);
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
  const std::int64_t D = 2, n = 20000, G = 401;
  auto flow = random_flow(D, 3, 61, 0.3);
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

TEST_CASE("SplineFlow: gradients of log_prob and of draws by finite differences") {
  auto flow = random_flow(3, 2, 71, 0.5);
  // w.r.t. theta and context
  double err = test::gradcheck([&](const auto& x) { return flow->log_prob(x[0], x[1]); },
                               {test::random_input({5, 3}, 72) * 1.5, test::random_input({5, 2}, 73)}, 1e-6, 1e-5);
  CHECK(err < 1e-5);
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
