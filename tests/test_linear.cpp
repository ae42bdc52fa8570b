// linear: registered for the sweep (with and without bias, 3-d input), plus shape errors.
#include "harness.h"
#include "specnet/ops/linear.h"

using namespace specnet;

SPECNET_OP_CASE({"linear", {{5, 7}, {3, 7}, {3}}, [](const auto& x) { return linear(x[0], x[1], x[2]); },
                 2.0 * 5 * 7 * 3});
SPECNET_OP_CASE({"linear_nobias_3d", {{2, 40, 7}, {70, 7}}, [](const auto& x) { return linear(x[0], x[1]); },
                 2.0 * 80 * 7 * 70});

TEST_CASE("linear rejects mismatched shapes with a clear message") {
  Tensor x = Tensor::zeros({4, 5}), w = Tensor::zeros({3, 6});
  CHECK_THROWS_WITH(linear(x, w), doctest::Contains("input has 5 features"));
  CHECK_THROWS_WITH(linear(Tensor::zeros({4, 6}), w, Tensor::zeros({4})), doctest::Contains("bias shape"));
  CHECK_THROWS_WITH(linear(Tensor::zeros({4, 6}, DType::f64), w), doctest::Contains("dtype mismatch"));
}
