// Default initialisation statistics (torch.nn.init / reset_parameters): bounds 1/sqrt(fan_in), mean ~0,
// variance bound^2/3, torch's fan computation (ConvTranspose1d uses weight.size(1) K), seed determinism.
#include <cmath>

#include "harness.h"
#include "specnet/nn/init.h"
#include "specnet/nn/linear.h"

using namespace specnet;

namespace {

struct Stats {
  double min, max, mean, var;
};
Stats stats(const Tensor& t) {
  auto v = t.to_vector();
  Stats s{1e300, -1e300, 0, 0};
  for (double x : v) {
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
    s.mean += x;
  }
  s.mean /= static_cast<double>(v.size());
  for (double x : v) s.var += (x - s.mean) * (x - s.mean);
  s.var /= static_cast<double>(v.size());
  return s;
}

// U(-b, b): all values inside, extremes near the bounds, mean within 5 sigma of 0, variance b^2/3 within 5%.
void check_uniform(const Tensor& t, double b) {
  const Stats s = stats(t);
  const double n = static_cast<double>(t.numel());
  CHECK(s.min >= -b);
  CHECK(s.max <= b);
  CHECK(s.max > 0.98 * b);
  CHECK(s.min < -0.98 * b);
  CHECK(std::abs(s.mean) < 5.0 * b / std::sqrt(3.0 * n));
  CHECK(s.var == doctest::Approx(b * b / 3.0).scale(0).epsilon(0.05));
}

}  // namespace

TEST_CASE("nn init fan computation follows torch") {
  CHECK(nn::init::fan_in({256, 64}) == 64);
  CHECK(nn::init::fan_out({256, 64}) == 256);
  CHECK(nn::init::fan_in({16, 8, 5}) == 40);    // Conv1d (O, C, K): C K
  CHECK(nn::init::fan_in({8, 16, 5}) == 80);    // ConvTranspose1d (C, O, K): torch takes size(1) K = O K
  CHECK_THROWS_WITH(nn::init::fan_in({5}), doctest::Contains("at least 2 dimensions"));
}

TEST_CASE("nn init linear default is U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias") {
  Rng rng(2024);
  nn::Linear lin(64, 512, rng);
  check_uniform(lin.weight, 1.0 / 8.0);
  nn::Linear wide(16, 4096, rng);  // enough bias values for the statistics
  check_uniform(wide.bias, 1.0 / 4.0);
}

TEST_CASE("nn init kaiming_uniform gain and conv-shaped weights") {
  Rng rng(9);
  // a = sqrt(5): gain sqrt(1/3), bound = sqrt(1/3) sqrt(3 / fan_in) = 1/sqrt(fan_in)
  check_uniform(nn::init::kaiming_uniform({64, 8, 5}, std::sqrt(5.0), rng), 1.0 / std::sqrt(40.0));
  // a = 0 (He uniform for ReLU): bound sqrt(6 / fan_in)
  check_uniform(nn::init::kaiming_uniform({256, 100}, 0.0, rng, DType::f64), std::sqrt(6.0 / 100.0));
  CHECK(nn::init::default_bias(3, 0, rng).to_vector() == std::vector<double>{0, 0, 0});
}

TEST_CASE("nn init is a pure function of the Rng seed") {
  Rng a(5), b(5), c(6);
  nn::Linear la(10, 20, a), lb(10, 20, b), lc(10, 20, c);
  CHECK(test::max_abs_diff(la.weight, lb.weight) == 0.0);
  CHECK(test::max_abs_diff(la.bias, lb.bias) == 0.0);
  CHECK(test::max_abs_diff(la.weight, lc.weight) > 0.01);
  // the weight is drawn before the bias, consuming one block per element
  CHECK(a.offset() == 10 * 20 + 20);
}
