// Downstream consumer of the installed package: a linear layer forward + backward.
#include <cstdio>

#include "specnet/autograd.h"
#include "specnet/ops/activation.h"
#include "specnet/ops/linear.h"

int main() {
  using namespace specnet;
  Tensor x = Tensor::ones({2, 3});
  Tensor w = Tensor::full({4, 3}, 0.5).set_requires_grad();
  Tensor y = gelu(linear(x, w));
  y.backward(Tensor::ones({2, 4}));
  double g = w.grad().at({0, 0});
  std::printf("downstream ok: y=%.6f dw=%.6f\n", y.at({0, 0}), g);
  return (y.at({0, 0}) > 1.39 && y.at({0, 0}) < 1.40 && g > 0) ? 0 : 1;
}
