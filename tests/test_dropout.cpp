// dropout: registered for the sweep with a fixed Rng built inside the op (gradcheck reruns the op and
// needs the same mask each time), plus mask statistics, determinism across threads and seeds, errors.
#include <cmath>

#include "harness.h"
#include "specnet/context.h"
#include "specnet/ops/dropout.h"

using namespace specnet;

SPECNET_OP_CASE({"dropout_p0.3",
                 {{6, 50}},
                 [](const auto& x) {
                   Rng rng(42, 3);
                   return dropout(x[0], 0.3, true, rng);
                 },
                 300});
SPECNET_OP_CASE({"dropout_p0",
                 {{4, 5}},
                 [](const auto& x) {
                   Rng rng(1);
                   return dropout(x[0], 0.0, true, rng);
                 },
                 20});

TEST_CASE("dropout masks: statistics, scaling and reproducibility") {
  const std::int64_t n = 100000;  // several 16384-element chunks
  Tensor x = Tensor::ones({n}, DType::f64);
  auto run = [&](int threads, std::uint64_t seed) {
    set_num_threads(threads);
    Rng rng(seed);
    auto v = dropout(x, 0.25, true, rng).to_vector();
    CHECK(rng.offset() == static_cast<std::uint64_t>(n));  // one Philox block per element
    return v;
  };
  auto one = run(1, 7), two = run(2, 7), other = run(2, 8);
  set_num_threads(0);
  CHECK(one == two);
  CHECK(one != other);
  std::int64_t kept = 0;
  bool scaled = true;
  for (double v : one) {
    kept += v != 0;
    scaled = scaled && (v == 0 || v == doctest::Approx(1 / 0.75).epsilon(1e-15));
  }
  CHECK(scaled);
  // 3 standard deviations of a binomial(n, 0.75)
  CHECK(std::abs(kept - 0.75 * n) < 3 * std::sqrt(n * 0.75 * 0.25));
  // successive calls draw fresh masks from the same Rng
  Rng rng(7);
  auto first = dropout(x, 0.25, true, rng).to_vector(), second = dropout(x, 0.25, true, rng).to_vector();
  CHECK(first == one);
  CHECK(first != second);
}

TEST_CASE("dropout mask matches the Philox definition element by element") {
  for (double p : {0.0, 0.1, 0.5, 0.999}) {
    CAPTURE(p);
    Rng rng(0x123456789ABCDEFull, 0xFEDCBA9876543210ull);
    rng.set_offset(0xFFFFFF00ull);  // counters cross 2^32: the high counter word is exercised
    const Rng ref = rng;
    const std::uint64_t first = rng.offset();
    const std::int64_t n = 16384 + 21;  // a second chunk and a partial lane group
    auto y = dropout(Tensor::ones({n}, DType::f64), p, true, rng).to_vector();
    std::int64_t mismatches = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const bool keep = Rng::uniform_from(ref.block(first + static_cast<std::uint64_t>(i))) > p;
      mismatches += y[i] != (keep ? 1.0 / (1.0 - p) : 0.0);
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("dropout gradient uses the forward mask; eval is the identity") {
  Tensor x = test::random_input({500}, 4).set_requires_grad(true);
  Rng rng(3);
  Tensor y = dropout(x, 0.5, true, rng);
  y.backward(Tensor::ones({500}, DType::f64));
  auto yv = y.to_vector(), xv = x.to_vector(), g = x.grad().to_vector();
  for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == (yv[i] == 0 ? 0.0 : 2.0));
  for (std::size_t i = 0; i < g.size(); ++i) CHECK(yv[i] == (g[i] == 0 ? 0.0 : 2.0 * xv[i]));
  Rng eval_rng(3);
  CHECK(dropout(x, 0.5, false, eval_rng).same(x));
  CHECK(eval_rng.offset() == 0);
}

TEST_CASE("dropout rejects p outside [0, 1)") {
  Tensor x = Tensor::ones({3});
  Rng rng(1);
  CHECK_THROWS_WITH(dropout(x, 1.0, true, rng), doctest::Contains("dropout: p must be in [0, 1), got 1"));
  CHECK_THROWS_WITH(dropout(x, -0.1, true, rng), doctest::Contains("p must be in [0, 1)"));
  CHECK_THROWS_WITH(dropout(x, std::nan(""), false, rng), doctest::Contains("p must be in [0, 1)"));
}
