// Test helper for optimizer/checkpoint tests: backpropagates the mean squared error between `out` and
// `target` by seeding backward with its gradient 2 (out - target) / numel, without needing the loss ops.
#pragma once
#include <vector>

#include "specnet/tensor.h"

namespace specnet::test {

// Returns the MSE value; accumulates its gradient into everything `out` depends on.
inline double mse_backward(const Tensor& out, const Tensor& target) {
  const auto a = out.to_vector(), b = target.to_vector();
  std::vector<double> seed(a.size());
  double loss = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    seed[i] = 2.0 * (a[i] - b[i]) / static_cast<double>(a.size());
    loss += (a[i] - b[i]) * (a[i] - b[i]) / static_cast<double>(a.size());
  }
  out.backward(Tensor::from_vector(seed, out.shape(), out.dtype()));
  return loss;
}

}  // namespace specnet::test
