// GELU (erf and tanh forms): registered for the sweep, plus known values from PyTorch.
#include "harness.h"
#include "specnet/ops/activation.h"

using namespace specnet;

SPECNET_OP_CASE({"gelu", {{3, 17}}, [](const auto& x) { return gelu(x[0]); }, 3 * 17 * 8.0});
SPECNET_OP_CASE({"gelu_tanh", {{3, 17}}, [](const auto& x) { return gelu(x[0], true); }, 3 * 17 * 10.0});

TEST_CASE("gelu matches torch values") {
  // torch.nn.functional.gelu(torch.tensor([-2., -0.5, 0., 1., 3.], dtype=torch.float64))
  Tensor x = Tensor::from_vector(std::vector<double>{-2, -0.5, 0, 1, 3}, {5}, DType::f64);
  auto y = gelu(x).to_vector();
  std::vector<double> ref{-0.04550026389635842, -0.15426876936299344, 0.0, 0.8413447460685429, 2.9959503059051097};
  for (int i = 0; i < 5; ++i) CHECK(y[i] == doctest::Approx(ref[i]).epsilon(1e-12));
}
