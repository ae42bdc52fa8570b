// Activation modules: forward to the functional ops in specnet/ops/activation.h (torch.nn defaults).
#include "specnet/nn/activation.h"

#include "specnet/ops/activation.h"

namespace specnet::nn {

Tensor GELU::forward(const Tensor& x) { return gelu(x, tanh_approximation); }
Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor ELU::forward(const Tensor& x) { return elu(x, alpha); }
Tensor SELU::forward(const Tensor& x) { return selu(x); }
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return specnet::tanh(x); }
Tensor Softplus::forward(const Tensor& x) { return softplus(x, beta, threshold); }

}  // namespace specnet::nn
