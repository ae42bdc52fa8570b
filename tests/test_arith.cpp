// Broadcasting arithmetic (add/sub/mul/div), tensor-scalar ops, neg and pow: registered for the sweep,
// plus the general broadcast path against naive index arithmetic and the error messages.
#include <cmath>

#include "harness.h"
#include "specnet/ops/arith.h"

using namespace specnet;

SPECNET_OP_CASE({"add_same", {{4, 3, 5}, {4, 3, 5}}, [](const auto& x) { return x[0] + x[1]; }, 60});
SPECNET_OP_CASE({"add_bcast_mid", {{4, 3, 5}, {1, 3, 1}}, [](const auto& x) { return x[0] + x[1]; }, 60});
SPECNET_OP_CASE({"add_bcast_rank", {{5}, {4, 3, 5}}, [](const auto& x) { return x[0] + x[1]; }, 60});
SPECNET_OP_CASE({"add_scalar_tensor", {{4, 3}, {}}, [](const auto& x) { return x[0] + x[1]; }, 12});
SPECNET_OP_CASE({"sub_outer", {{3, 1}, {1, 4}}, [](const auto& x) { return x[0] - x[1]; }, 12});
SPECNET_OP_CASE({"sub_bcast_mid", {{1, 3, 1}, {4, 3, 5}}, [](const auto& x) { return x[0] - x[1]; }, 60});
SPECNET_OP_CASE({"mul_outer", {{3, 1}, {1, 4}}, [](const auto& x) { return x[0] * x[1]; }, 12});
SPECNET_OP_CASE({"mul_bcast_mid", {{4, 3, 5}, {1, 3, 1}}, [](const auto& x) { return x[0] * x[1]; }, 60});
SPECNET_OP_CASE({"mul_scalar_tensor", {{}, {4, 3}}, [](const auto& x) { return x[0] * x[1]; }, 12});
SPECNET_OP_CASE({"mul_self", {{4, 3}}, [](const auto& x) { return x[0] * x[0]; }, 12});
SPECNET_OP_CASE(
    {"div_bcast_mid", {{4, 3, 5}, {1, 3, 1}}, [](const auto& x) { return x[0] / x[1]; }, 60, {false, true}});
SPECNET_OP_CASE({"div_outer", {{3, 1}, {1, 4}}, [](const auto& x) { return x[0] / x[1]; }, 12, {false, true}});
SPECNET_OP_CASE({"div_scalar_tensor", {{}, {3, 4}}, [](const auto& x) { return x[0] / x[1]; }, 12, {false, true}});
SPECNET_OP_CASE({"add_scalar", {{3, 7}}, [](const auto& x) { return x[0] + 1.5; }, 21});
SPECNET_OP_CASE({"sub_scalar", {{3, 7}}, [](const auto& x) { return x[0] - 0.25; }, 21});
SPECNET_OP_CASE({"mul_scalar", {{3, 7}}, [](const auto& x) { return 2.5 * x[0]; }, 21});
SPECNET_OP_CASE({"div_scalar", {{3, 7}}, [](const auto& x) { return x[0] / 4.0; }, 21});
SPECNET_OP_CASE({"neg", {{3, 7}}, [](const auto& x) { return -x[0]; }, 21});
SPECNET_OP_CASE({"pow_2", {{3, 7}}, [](const auto& x) { return pow(x[0], 2.0); }, 21});
SPECNET_OP_CASE({"pow_3", {{3, 7}}, [](const auto& x) { return pow(x[0], 3.0); }, 21 * 20.0});
SPECNET_OP_CASE({"pow_frac", {{3, 7}}, [](const auto& x) { return pow(x[0], -1.5); }, 21 * 20.0, {true}});

namespace {
// a (2-d or 3-d) op b by explicit index arithmetic on their values, for shapes padded to 3 dims.
std::vector<double> naive(const Tensor& a, const Tensor& b, const Shape& out, char op) {
  auto pad = [](Shape s) {
    while (s.size() < 3) s.insert(s.begin(), 1);
    return s;
  };
  Shape sa = pad(a.shape()), sb = pad(b.shape());
  auto va = a.to_vector(), vb = b.to_vector();
  std::vector<double> r;
  for (std::int64_t i = 0; i < out[0]; ++i)
    for (std::int64_t j = 0; j < out[1]; ++j)
      for (std::int64_t k = 0; k < out[2]; ++k) {
        auto at = [&](const Shape& s, const std::vector<double>& v) {
          return v[((i % s[0]) * s[1] + (j % s[1])) * s[2] + (k % s[2])];
        };
        double x = at(sa, va), y = at(sb, vb);
        r.push_back(op == '+' ? x + y : op == '-' ? x - y : op == '*' ? x * y : x / y);
      }
  return r;
}
}  // namespace

TEST_CASE("broadcast arithmetic matches index arithmetic across chunk boundaries") {
  // 3 * 70 * 101 = 21210 outputs: more than one 16384-element chunk, runs cut mid-row
  const std::vector<std::pair<Shape, Shape>> cases{
      {{3, 70, 101}, {70, 1}}, {{3, 1, 101}, {3, 70, 1}}, {{1, 70, 101}, {3, 1, 1}}, {{3, 70, 101}, {}}};
  for (const auto& [sa, sb] : cases) {
    Tensor a = test::random_input(sa, 1), b = test::random_input(sb, 2, true);
    Shape out = broadcast_shape(sa, sb);
    Shape out3 = out;
    while (out3.size() < 3) out3.insert(out3.begin(), 1);
    for (char op : {'+', '-', '*', '/'}) {
      CAPTURE(op);
      Tensor r = op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b;
      CHECK(r.shape() == out);
      auto ref = naive(a, b, out3, op);
      auto got = r.to_vector();
      REQUIRE(got.size() == ref.size());
      double err = 0;
      for (std::size_t i = 0; i < ref.size(); ++i) err = std::max(err, std::abs(got[i] - ref[i]));
      CHECK(err == 0.0);
    }
  }
}

TEST_CASE("broadcast gradients are summed back to each operand's shape") {
  Tensor a = Tensor::ones({2, 3}, DType::f64).set_requires_grad(true);
  Tensor b = Tensor::from_vector(std::vector<double>{2, 3, 4}, {3}, DType::f64).set_requires_grad(true);
  Tensor c = Tensor::full({2, 1}, 5.0, DType::f64).set_requires_grad(true);
  (a * b + c).backward(Tensor::ones({2, 3}, DType::f64));
  CHECK(a.grad().to_vector() == std::vector<double>{2, 3, 4, 2, 3, 4});
  CHECK(b.grad().to_vector() == std::vector<double>{2, 2, 2});  // summed over the stretched dim 0
  CHECK(c.grad().to_vector() == std::vector<double>{3, 3});     // summed over the stretched dim 1
}

TEST_CASE("broadcast_shape and arithmetic errors") {
  CHECK(broadcast_shape({4, 3, 5}, {1, 3, 1}) == Shape{4, 3, 5});
  CHECK(broadcast_shape({3, 1}, {1, 4}) == Shape{3, 4});
  CHECK(broadcast_shape({}, {2, 2}) == Shape{2, 2});
  CHECK_THROWS_WITH(broadcast_shape({2, 3}, {4}), doctest::Contains("cannot broadcast shapes (2, 3) and (4,)"));
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({2, 4});
  CHECK_THROWS_WITH(a + b, doctest::Contains("add: cannot broadcast"));
  CHECK_THROWS_WITH(a * b, doctest::Contains("mul: cannot broadcast"));
  CHECK_THROWS_WITH(a / Tensor::zeros({3, 3}), doctest::Contains("div: cannot broadcast"));
  CHECK_THROWS_WITH(a - Tensor::zeros({2, 3}, DType::f64), doctest::Contains("sub: dtype mismatch"));
  CHECK_THROWS_WITH(pow(Tensor::full({2}, -1.0), 0.5), doctest::Contains("negative base"));
  CHECK(pow(Tensor::full({2}, -2.0), 3.0).to_vector() == std::vector<double>{-8, -8});
}
