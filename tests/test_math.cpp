// exp, log, sqrt, abs, clamp: registered for the sweep (log/sqrt on positive inputs, clamp bounds inside
// the data range), plus torch's conventions at kinks and for NaN.
#include <cmath>
#include <limits>

#include "harness.h"
#include "specnet/ops/math.h"

using namespace specnet;

SPECNET_OP_CASE({"exp", {{3, 17}}, [](const auto& x) { return exp(x[0]); }, 51 * 20.0});
SPECNET_OP_CASE({"log", {{3, 17}}, [](const auto& x) { return log(x[0]); }, 51 * 20.0, {true}});
SPECNET_OP_CASE({"sqrt", {{3, 17}}, [](const auto& x) { return sqrt(x[0]); }, 51 * 10.0, {true}});
SPECNET_OP_CASE({"abs", {{3, 17}}, [](const auto& x) { return abs(x[0]); }, 51});
SPECNET_OP_CASE({"clamp", {{3, 17}}, [](const auto& x) { return clamp(x[0], -0.5, 0.7); }, 51 * 2.0});
SPECNET_OP_CASE({"clamp_min", {{3, 17}}, [](const auto& x) { return clamp(x[0], -0.3); }, 51 * 2.0});
SPECNET_OP_CASE({"clamp_max",
                 {{3, 17}},
                 [](const auto& x) { return clamp(x[0], -std::numeric_limits<double>::infinity(), 0.2); },
                 51 * 2.0});

namespace {
Tensor vec(std::vector<double> v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}, DType::f64); }
}  // namespace

TEST_CASE("math ops: values and torch conventions") {
  CHECK(exp(vec({0, 1})).to_vector()[1] == doctest::Approx(std::exp(1.0)).epsilon(1e-15));
  auto l = log(vec({1, 0, -1})).to_vector();
  CHECK(l[0] == 0.0);
  CHECK(std::isinf(l[1]));
  CHECK(std::isnan(l[2]));
  CHECK(sqrt(vec({4, 2.25})).to_vector() == std::vector<double>{2, 1.5});
  auto c = clamp(vec({-2, 0.3, 5, std::nan("")}), -1, 1).to_vector();
  CHECK(c[0] == -1);
  CHECK(c[1] == 0.3);
  CHECK(c[2] == 1);
  CHECK(std::isnan(c[3]));                                                   // NaN propagates, as torch.clamp
  CHECK(clamp(vec({0, 3}), 2, 1).to_vector() == std::vector<double>{1, 1});  // min > max: all max
  CHECK_THROWS_WITH(clamp(vec({1}), std::nan(""), 1), doctest::Contains("clamp: bounds must not be NaN"));
}

TEST_CASE("abs and clamp gradients at the kinks follow torch") {
  Tensor x = vec({0, -2, 3}).set_requires_grad(true);
  abs(x).backward(Tensor::ones({3}, DType::f64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, -1, 1});  // sign(x), 0 at 0
  Tensor y = vec({-1, 1, 0.5, -3, 2}).set_requires_grad(true);
  clamp(y, -1, 1).backward(Tensor::ones({5}, DType::f64));
  CHECK(y.grad().to_vector() == std::vector<double>{1, 1, 1, 0, 0});  // passes where min <= x <= max
}
