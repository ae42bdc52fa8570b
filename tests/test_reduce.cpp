// sum / mean (all, axis sets, keepdim), max (all, one dim), argmax and sum_to_shape: registered for the
// sweep, plus large reductions against a plain double sum, torch's tie rule for max and the errors.
#include <cmath>

#include "harness.h"
#include "specnet/ops/reduce.h"
#include "thread_check.h"

using namespace specnet;

SPECNET_OP_CASE({"sum_all", {{3, 4, 5}}, [](const auto& x) { return sum(x[0]); }, 60});
SPECNET_OP_CASE({"mean_all", {{3, 4, 5}}, [](const auto& x) { return mean(x[0]); }, 60});
SPECNET_OP_CASE({"sum_dim1", {{3, 4, 5}}, [](const auto& x) { return sum(x[0], {1}); }, 60});
SPECNET_OP_CASE({"sum_dim1_keep", {{3, 4, 5}}, [](const auto& x) { return sum(x[0], {1}, true); }, 60});
SPECNET_OP_CASE({"sum_dims02", {{3, 4, 5}}, [](const auto& x) { return sum(x[0], {0, 2}); }, 60});
SPECNET_OP_CASE({"sum_dims02_keep", {{3, 4, 5}}, [](const auto& x) { return sum(x[0], {2, 0}, true); }, 60});
SPECNET_OP_CASE({"sum_last", {{3, 4, 5}}, [](const auto& x) { return sum(x[0], {-1}); }, 60});
SPECNET_OP_CASE({"sum_dims01_keep", {{3, 4, 5}}, [](const auto& x) { return sum(x[0], {0, 1}, true); }, 60});
SPECNET_OP_CASE({"mean_dim0", {{3, 4, 5}}, [](const auto& x) { return mean(x[0], {0}); }, 60});
SPECNET_OP_CASE({"mean_dims02_keep", {{3, 4, 5}}, [](const auto& x) { return mean(x[0], {0, -1}, true); }, 60});
SPECNET_OP_CASE({"mean_dims12", {{3, 4, 5}}, [](const auto& x) { return mean(x[0], {1, 2}); }, 60});
SPECNET_OP_CASE({"max_all", {{4, 5}}, [](const auto& x) { return max(x[0]); }, 20});
SPECNET_OP_CASE({"max_dim0", {{4, 5}}, [](const auto& x) { return max(x[0], 0); }, 20});
SPECNET_OP_CASE({"max_dim1_keep", {{3, 4, 5}}, [](const auto& x) { return max(x[0], 1, true); }, 60});
SPECNET_OP_CASE({"max_last", {{3, 4, 5}}, [](const auto& x) { return max(x[0], -1); }, 60});
SPECNET_OP_CASE({"sum_to_shape_mid", {{4, 3, 5}}, [](const auto& x) { return sum_to_shape(x[0], {1, 3, 1}); }, 60});
SPECNET_OP_CASE({"sum_to_shape_rank", {{4, 3, 5}}, [](const auto& x) { return sum_to_shape(x[0], {3, 1}); }, 60});

namespace {
// Plain double sums of x (d0, d1, d2) over dims {0, 2} and over everything.
std::vector<double> sum02(const Tensor& x) {
  auto v = x.to_vector();
  const Shape& s = x.shape();
  std::vector<double> r(s[1], 0.0);
  for (std::int64_t i = 0; i < s[0]; ++i)
    for (std::int64_t j = 0; j < s[1]; ++j)
      for (std::int64_t k = 0; k < s[2]; ++k) r[j] += v[(i * s[1] + j) * s[2] + k];
  return r;
}
}  // namespace

TEST_CASE("large reductions agree with a plain double sum") {
  // (150, 3, 296): the autoencoder's activation layout, scaled down; several 16384-element blocks
  Tensor x = test::random_input({150, 3, 296}, 3);
  auto ref = sum02(x);
  auto got = sum(x, {0, 2}).to_vector();
  for (int j = 0; j < 3; ++j) CHECK(got[j] == doctest::Approx(ref[j]).epsilon(1e-12));
  double total = ref[0] + ref[1] + ref[2];
  CHECK(sum(x).item() == doctest::Approx(total).epsilon(1e-12));
  CHECK(mean(x).item() == doctest::Approx(total / x.numel()).epsilon(1e-12));
  auto m1 = mean(x, {1}, true);
  CHECK(m1.shape() == Shape{150, 1, 296});
  CHECK(m1.at({7, 0, 11}) ==
        doctest::Approx((x.at({7, 0, 11}) + x.at({7, 1, 11}) + x.at({7, 2, 11})) / 3).epsilon(1e-14));
  // float32 result, double accumulation
  CHECK(sum(x.to(DType::f32)).item() == doctest::Approx(total).epsilon(1e-5));
  // empty dim list reduces everything, as torch.sum(x, dim=[])
  CHECK(sum(x, {}).item() == doctest::Approx(total).epsilon(1e-12));
  CHECK(sum(x, {}, true).shape() == Shape{1, 1, 1});
}

TEST_CASE("max: values, first-index ties and gradient routing") {
  Tensor x =
      Tensor::from_vector(std::vector<double>{1, 5, 5, 2, 7, 7, 0, 7}, {2, 4}, DType::f64).set_requires_grad(true);
  Tensor m = max(x, 1);
  CHECK(m.to_vector() == std::vector<double>{5, 7});
  CHECK(argmax(x, 1).to_vector() == std::vector<double>{1, 0});
  CHECK(argmax(x, 0, true).shape() == Shape{1, 4});
  CHECK(argmax(x, 0).to_vector() == std::vector<double>{1, 1, 0, 1});
  m.backward(Tensor::ones({2}, DType::f64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 0, 0, 1, 0, 0, 0});  // first maximal index only
  x.zero_grad();
  Tensor g = max(x);
  CHECK(g.item() == 7);
  g.backward();
  CHECK(x.grad().to_vector() == std::vector<double>{0, 0, 0, 0, 1, 0, 0, 0});
  Tensor nan = Tensor::from_vector(std::vector<double>{1, std::nan(""), 3}, {3}, DType::f64);
  CHECK(std::isnan(max(nan).item()));  // NaN propagates, as torch.max
  // a large global max crosses block boundaries and keeps the first of equal maxima
  Tensor big = Tensor::zeros({40000}, DType::f64);
  {
    NoGradGuard ng;
    big.slice(0, 20000, 20001).fill_(3.0);
    big.slice(0, 30000, 30001).fill_(3.0);
  }
  CHECK(argmax(big, 0).item() == 20000);
}

TEST_CASE("sum_to_shape inverts broadcasting") {
  Tensor x = test::random_input({4, 3, 5}, 9);
  Tensor r = sum_to_shape(x, {3, 1});
  CHECK(r.shape() == Shape{3, 1});
  CHECK(r.at({1, 0}) == doctest::Approx(sum(x, {0, 2}).at({1})).epsilon(1e-14));
  CHECK(sum_to_shape(x, {4, 3, 5}).to_vector() == x.to_vector());
}

TEST_CASE("reductions reject bad dims with clear messages") {
  Tensor x = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(sum(x, {2}), doctest::Contains("sum: dim 2 out of range for shape (2, 3)"));
  CHECK_THROWS_WITH(mean(x, {-3}), doctest::Contains("mean: dim -3 out of range"));
  CHECK_THROWS_WITH(sum(x, {1, -1}), doctest::Contains("appears more than once"));
  CHECK_THROWS_WITH(max(x, 5), doctest::Contains("max: dim 5 out of range"));
  CHECK_THROWS_WITH(argmax(x, -4), doctest::Contains("argmax: dim -4 out of range"));
  CHECK_THROWS_WITH(argmax(Tensor::zeros({1, (1 << 24) + 1}), 1), doctest::Contains("cast the input to float64"));
  CHECK_THROWS_WITH(max(Tensor::zeros({0, 3}), 0), doctest::Contains("cannot reduce an empty dimension"));
  CHECK_THROWS_WITH(max(Tensor::zeros({0})), doctest::Contains("cannot reduce an empty dimension"));
  CHECK_THROWS_WITH(sum_to_shape(x, {2, 2}), doctest::Contains("cannot be summed to (2, 2)"));
  CHECK_THROWS_WITH(sum_to_shape(x, {1, 2, 3}), doctest::Contains("sum_to_shape"));
  CHECK(std::isnan(mean(Tensor::zeros({0})).item()));  // as torch: mean of nothing is NaN
}

TEST_CASE("large reductions are identical for 1 and 2 threads") {
  const std::vector<Shape> s{{150, 3, 296}};
  for (auto f : std::vector<std::function<Tensor(const std::vector<Tensor>&)>>{
           [](const auto& x) {
             return sum(x[0], {0, 2});
           },
           [](const auto& x) { return mean(x[0]); }, [](const auto& x) { return sum(x[0], {1}, true); },
           [](const auto& x) { return mean(x[0], {0}); }, [](const auto& x) { return max(x[0]); },
           [](const auto& x) { return max(x[0], 2); }})
    CHECK(test::run_threads(1, s, f) == test::run_threads(2, s, f));
}
