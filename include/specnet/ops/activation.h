// Differentiable activations (PyTorch semantics): gelu (erf or tanh form), relu, elu, selu, sigmoid,
// tanh, softplus.
#pragma once
#include "specnet/tensor.h"

namespace specnet {

Tensor gelu(const Tensor& x, bool tanh_approximation = false);  // torch.nn.functional.gelu(approximate=)

}  // namespace specnet
