// Autodiff semantics: accumulation across backward calls, freed graphs, no_grad, in-place misuse,
// non-leaf gradient freeing, deep graphs.
#include "harness.h"
#include "specnet/ops/activation.h"
#include "specnet/ops/linear.h"

using namespace specnet;

TEST_CASE("leaf gradients accumulate across backward calls") {
  Tensor w = Tensor::full({1, 2}, 1.0, DType::f64).set_requires_grad();
  Tensor x = Tensor::from_vector(std::vector<double>{2, 3}, {1, 2}, DType::f64);
  linear(x, w).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{2, 3});
  linear(x, w).backward();
  CHECK(w.grad().to_vector() == std::vector<double>{4, 6});
  w.zero_grad();
  CHECK(!w.grad().defined());
}

TEST_CASE("a shared input receives the sum of both paths") {
  Tensor x = Tensor::from_vector(std::vector<double>{0.3, -0.7}, {1, 2}, DType::f64).set_requires_grad();
  Tensor w = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::f64);
  Tensor y = linear(linear(x, w), w);  // x w^T w^T
  y.backward(Tensor::ones({1, 2}, DType::f64));
  // d/dx sum(x W^T W^T) = 1^T W W
  CHECK(x.grad().at({0, 0}) == doctest::Approx(1 * 7 + 1 * 15));
  CHECK(x.grad().at({0, 1}) == doctest::Approx(1 * 10 + 1 * 22));
}

TEST_CASE("backward twice through a freed graph is a clear error and retain_graph allows it") {
  Tensor w = Tensor::full({2, 2}, 0.5, DType::f64).set_requires_grad();
  Tensor x = Tensor::ones({3, 2}, DType::f64);
  Tensor y = gelu(linear(x, w));
  y.backward(Tensor::ones({3, 2}, DType::f64));
  CHECK_THROWS_WITH(y.backward(Tensor::ones({3, 2}, DType::f64)), doctest::Contains("second time"));
  Tensor z = gelu(linear(x, w));
  z.backward(Tensor::ones({3, 2}, DType::f64), true);
  CHECK_NOTHROW(z.backward(Tensor::ones({3, 2}, DType::f64)));
}

TEST_CASE("no_grad records no graph") {
  Tensor w = Tensor::ones({2, 2}).set_requires_grad();
  NoGradGuard ng;
  Tensor y = linear(Tensor::ones({1, 2}), w);
  CHECK(!y.requires_grad());
  CHECK_THROWS_WITH(y.backward(), doctest::Contains("does not require grad"));
}

TEST_CASE("in-place misuse is detected") {
  Tensor w = Tensor::ones({2, 2}).set_requires_grad().set_name("w");
  CHECK_THROWS_WITH(w.fill_(0), doctest::Contains("in-place change of a tensor that requires grad ('w')"));
  Tensor x = Tensor::ones({1, 2});
  Tensor y = gelu(linear(x, w));
  {
    NoGradGuard ng;
    w.fill_(2.0);  // modifies a tensor saved by linear for backward
  }
  CHECK_THROWS_WITH(y.backward(Tensor::ones({1, 2})), doctest::Contains("modified in place"));
}

TEST_CASE("intermediate gradients are freed unless retained") {
  Tensor w = Tensor::ones({2, 2}, DType::f64).set_requires_grad();
  Tensor h = linear(Tensor::ones({1, 2}, DType::f64), w);
  Tensor h2 = linear(Tensor::ones({1, 2}, DType::f64), w);
  h2.retain_grad();
  Tensor y = gelu(h), y2 = gelu(h2);
  y.backward(Tensor::ones({1, 2}, DType::f64));
  y2.backward(Tensor::ones({1, 2}, DType::f64));
  CHECK(!h.grad().defined());
  CHECK(h2.grad().defined());
}

TEST_CASE("deep graphs do not overflow the stack") {
  Tensor x = Tensor::full({1, 1}, 0.5, DType::f64).set_requires_grad();
  Tensor w = Tensor::ones({1, 1}, DType::f64);
  Tensor h = x;
  for (int i = 0; i < 20000; ++i) h = linear(h, w);
  h.backward();
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("backward seed must match the output shape") {
  Tensor w = Tensor::ones({2, 2}).set_requires_grad();
  Tensor y = linear(Tensor::ones({3, 2}), w);
  CHECK_THROWS_WITH(y.backward(), doctest::Contains("needs a scalar"));
  CHECK_THROWS_WITH(y.backward(Tensor::ones({2, 2})), doctest::Contains("shape mismatch"));
}
