// Differentiable activations with PyTorch semantics (torch.nn.functional names and defaults).
#pragma once
#include "specnet/tensor.h"

namespace specnet {

Tensor gelu(const Tensor& x, bool tanh_approximation = false);  // approximate='none' | 'tanh'
Tensor relu(const Tensor& x);
Tensor elu(const Tensor& x, double alpha = 1.0);
Tensor selu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);

}  // namespace specnet
