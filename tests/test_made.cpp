// masked_linear op (sweep, bad input) and nn::Made: nflows masks and state_dict names, the autoregressive
// property (output of feature i independent of inputs >= i; feature 0 constant), gradients w.r.t. input and context.
#include <cmath>

#include "harness.h"
#include "specnet/nn/made.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/masked_linear.h"
#include "specnet/ops/reduce.h"

using namespace specnet;

namespace {

// A fixed lower-triangular-ish 0/1 pattern (O, I) in the weight's dtype.
Tensor pattern_mask(std::int64_t O, std::int64_t I, DType dtype) {
  std::vector<double> m(static_cast<std::size_t>(O * I));
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t i = 0; i < I; ++i) m[o * I + i] = (o + 2 * i) % 3 != 0;
  return Tensor::from_vector(m, {O, I}, dtype);
}

nn::MadeOptions made_options(std::int64_t D, std::vector<std::int64_t> hidden, std::int64_t C, std::int64_t M) {
  nn::MadeOptions o;
  o.features = D;
  o.hidden = std::move(hidden);
  o.context_features = C;
  o.output_multiplier = M;
  return o;
}

}  // namespace

SPECNET_OP_CASE({"masked_linear", {{4, 6}, {5, 6}, {5}},
                 [](const auto& x) { return masked_linear(x[0], x[1], pattern_mask(5, 6, x[1].dtype()).to(x[1].device()), x[2]); },
                 2.0 * 4 * 6 * 5});

TEST_CASE("masked_linear: masked weights get no gradient and do not act") {
  Tensor x = test::random_input({3, 6}, 1), w = test::random_input({5, 6}, 2).set_requires_grad();
  Tensor m = pattern_mask(5, 6, DType::f64);
  sum(masked_linear(x, w, m)).backward();
  auto g = w.grad().to_vector(), mv = m.to_vector();
  for (std::size_t i = 0; i < g.size(); ++i)
    if (mv[i] == 0) CHECK(g[i] == 0);
    else CHECK(g[i] != 0);
  CHECK_THROWS_WITH(masked_linear(x, w, Tensor::ones({5, 5}, DType::f64)), doctest::Contains("mask shape"));
  CHECK_THROWS_WITH(masked_linear(x, w, Tensor::full({5, 6}, 0.5, DType::f64)), doctest::Contains("0 or 1"));
  CHECK_THROWS_WITH(masked_linear(x, w, Tensor::ones({5, 6}, DType::f64).set_requires_grad()),
                    doctest::Contains("constant"));
}

TEST_CASE("MADE: nflows degrees, masks and state_dict names") {
  Rng rng(3);
  nn::Made made(made_options(5, {120, 120, 120}, 7, 23), rng);
  std::vector<std::string> names;
  for (auto& [n, t] : made.state_dict()) names.push_back(n);
  std::vector<std::string> want{"initial_layer.weight", "initial_layer.bias", "initial_layer.mask",
                                "context_layer.weight", "context_layer.bias", "blocks.0.linear.weight",
                                "blocks.0.linear.bias", "blocks.0.linear.mask", "blocks.1.linear.weight",
                                "blocks.1.linear.bias", "blocks.1.linear.mask", "final_layer.weight",
                                "final_layer.bias", "final_layer.mask"};
  CHECK(names == want);
  // Hidden degrees cycle 1..4 (arange(120) % 4 + 1): a unit of degree k sees inputs 1..k, so the first layer has
  // 30 * (1 + 2 + 3 + 4) = 300 connections; outputs of feature i (degree i + 1) see hidden units of degree <= i.
  auto named = made.named_buffers();
  CHECK(sum(named[0].second).item() == doctest::Approx(300));
  const Tensor& final_mask = named.back().second;
  CHECK(final_mask.shape() == Shape{115, 120});
  auto fm = final_mask.to_vector();
  for (std::int64_t o = 0; o < 115; o += 23) {
    double row = 0;
    for (std::int64_t h = 0; h < 120; ++h) row += fm[o * 120 + h];
    CHECK(row == 30.0 * (o / 23));  // feature 0: no connections (its parameters are biases only)
  }
}

TEST_CASE("MADE: outputs of feature i depend only on inputs before i, and on the context") {
  Rng rng(5);
  nn::Made made(made_options(4, {48, 48}, 3, 2), rng, DType::f64);
  const std::int64_t R = 6;  // rows; a dependence must show in at least one (ReLU can silence a path in one row)
  Tensor x = test::random_input({R, 4}, 6), c = test::random_input({R, 3}, 7);
  auto base = made.forward(x, c).to_vector();
  for (std::int64_t j = 0; j < 4; ++j) {
    Tensor xp = x.clone();
    for (std::int64_t r = 0; r < R; ++r) xp.data<double>()[r * 4 + j] += 0.5;
    auto moved = made.forward(xp, c).to_vector();
    for (std::int64_t out = 0; out < 8; ++out) {
      const std::int64_t feature = out / 2;
      int changed = 0;
      for (std::int64_t r = 0; r < R; ++r) changed += moved[r * 8 + out] != base[r * 8 + out];
      CAPTURE(j);
      CAPTURE(out);
      if (feature <= j) CHECK(changed == 0);
      else CHECK(changed > 0);
    }
  }
  // The context enters the first hidden layer, so it reaches every feature that has hidden inputs; feature 0's
  // outputs connect to no hidden unit (degree 1 > none) and are plain biases, as in nflows.
  Tensor cp = c + 0.5;
  auto moved = made.forward(x, cp).to_vector();
  for (std::int64_t out = 0; out < 8; ++out) {
    CAPTURE(out);
    if (out < 2) CHECK(moved[out] == base[out]);
    else CHECK(moved[out] != base[out]);
  }
}

TEST_CASE("MADE: gradients w.r.t. input and broadcast context (float64 finite differences)") {
  Rng rng(9);
  nn::Made made(made_options(3, {10, 10, 10}, 4, 5), rng, DType::f64);
  double err = test::gradcheck([&](const auto& x) { return made.forward(x[0], x[1]); },
                               {test::random_input({2, 6, 3}, 10), test::random_input({2, 1, 4}, 11)});
  CHECK(err < 1e-6);
  CHECK_THROWS_WITH(made.forward(Tensor::zeros({2, 4}, DType::f64), Tensor::zeros({2, 4}, DType::f64)),
                    doctest::Contains("input must be"));
  CHECK_THROWS_WITH(made.forward(Tensor::zeros({2, 3}, DType::f64)), doctest::Contains("needs a context"));
  CHECK_THROWS_WITH(made.forward(Tensor::zeros({2, 3}, DType::f64), Tensor::zeros({2, 5}, DType::f64)),
                    doctest::Contains("context must be"));
}

TEST_CASE("MADE: one feature's outputs alone equal the matching columns of the full output") {
  Rng rng(12);
  nn::Made made(made_options(4, {16, 16}, 3, 5), rng, DType::f64);
  Tensor x = test::random_input({2, 7, 4}, 13), c = test::random_input({2, 1, 3}, 14);
  Tensor ctx_h = made.project_context(c);
  Tensor full = made.forward_projected(x, ctx_h);
  for (std::int64_t f = 0; f < 4; ++f) {
    Tensor part = made.forward_projected(x, ctx_h, f);
    REQUIRE(part.shape() == Shape{2, 7, 5});
    CHECK(test::max_abs_diff(part, full.slice(2, f * 5, (f + 1) * 5).contiguous()) < 1e-14);  // GEMM blocking may differ
  }
  CHECK_THROWS_WITH(made.forward_projected(x, ctx_h, 4), doctest::Contains("feature 4"));
}
