// relu, elu, selu, sigmoid, tanh, softplus: registered for the sweep, plus known values (torch
// constants, softplus threshold, no overflow in sigmoid).
#include <cmath>

#include "harness.h"
#include "specnet/ops/activation.h"

using namespace specnet;

SPECNET_OP_CASE({"relu", {{3, 17}}, [](const auto& x) { return relu(x[0]); }, 51});
SPECNET_OP_CASE({"elu", {{3, 17}}, [](const auto& x) { return elu(x[0]); }, 51 * 20.0});
SPECNET_OP_CASE({"elu_alpha", {{3, 17}}, [](const auto& x) { return elu(x[0], 0.7); }, 51 * 20.0});
SPECNET_OP_CASE({"selu", {{3, 17}}, [](const auto& x) { return selu(x[0]); }, 51 * 20.0});
SPECNET_OP_CASE({"sigmoid", {{3, 17}}, [](const auto& x) { return sigmoid(x[0]); }, 51 * 20.0});
SPECNET_OP_CASE({"tanh", {{3, 17}}, [](const auto& x) { return tanh(x[0]); }, 51 * 20.0});
SPECNET_OP_CASE({"softplus", {{3, 17}}, [](const auto& x) { return softplus(x[0]); }, 51 * 40.0});
// beta 2, threshold 1: elements above 0.5 take the linear branch
SPECNET_OP_CASE(
    {"softplus_beta_threshold", {{3, 17}}, [](const auto& x) { return softplus(x[0], 2.0, 1.0); }, 51 * 40.0});

namespace {
std::vector<double> apply(Tensor (*f)(const Tensor&), std::vector<double> v) {
  return f(Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}, DType::f64)).to_vector();
}
Tensor vec(std::vector<double> v) { return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}, DType::f64); }
}  // namespace

TEST_CASE("activations match torch values") {
  // torch.nn.functional.selu(torch.tensor([1., -1., 0.], dtype=torch.float64))
  auto s = apply(selu, {1, -1, 0});
  CHECK(s[0] == doctest::Approx(1.0507009873554805).epsilon(1e-15));
  CHECK(s[1] == doctest::Approx(-1.1113307378125628).epsilon(1e-14));
  CHECK(s[2] == 0.0);
  auto e = elu(vec({-1, 2}), 0.5).to_vector();
  CHECK(e[0] == doctest::Approx(0.5 * (std::exp(-1.0) - 1)).epsilon(1e-15));
  CHECK(e[1] == 2.0);
  CHECK(apply(relu, {-1, 0, 2}) == std::vector<double>{0, 0, 2});
  auto sg = apply(sigmoid, {-800, 0, 800, 2});
  CHECK(sg[0] == 0.0);  // no overflow to NaN
  CHECK(sg[1] == 0.5);
  CHECK(sg[2] == 1.0);
  CHECK(sg[3] == doctest::Approx(0.8807970779778823).epsilon(1e-15));
  CHECK(apply(tanh, {0.5})[0] == doctest::Approx(std::tanh(0.5)).epsilon(1e-15));
}

TEST_CASE("softplus threshold switches to the identity") {
  auto y = softplus(vec({1, 25, 15, -30})).to_vector();
  CHECK(y[0] == doctest::Approx(1.3132616875182228).epsilon(1e-15));                // log1p(e)
  CHECK(y[1] == 25.0);                                                              // above threshold 20: x itself
  CHECK(y[2] == doctest::Approx(15 + std::log1p(std::exp(-15.0))).epsilon(1e-15));  // below: log1p(exp(15))
  CHECK(y[3] == doctest::Approx(std::exp(-30.0)).epsilon(1e-12));                   // no underflow to 0 or cancellation
  CHECK(softplus(vec({15}), 2.0, 20.0).item() == 15.0);                             // beta x = 30 > 20
  Tensor x = vec({25, 1}).set_requires_grad(true);
  softplus(x).backward(Tensor::ones({2}, DType::f64));
  auto g = x.grad().to_vector();
  CHECK(g[0] == 1.0);
  CHECK(g[1] == doctest::Approx(1 / (1 + std::exp(-1.0))).epsilon(1e-15));
  CHECK_THROWS_WITH(softplus(x, 0.0), doctest::Contains("beta must be finite and non-zero"));
}

TEST_CASE("relu gradient is zero at zero, as torch") {
  Tensor x = vec({0, 1, -1}).set_requires_grad(true);
  relu(x).backward(Tensor::ones({3}, DType::f64));
  CHECK(x.grad().to_vector() == std::vector<double>{0, 1, 0});
}
