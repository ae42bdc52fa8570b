// Differentiable linear algebra: linear (torch.nn.functional.linear) and matmul (2-d and batched 3-d).
#pragma once
#include "specnet/tensor.h"

namespace specnet {

// x (N, I) or (..., I); w (O, I); b (O) or undefined -> (..., O)
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b = Tensor());

}  // namespace specnet
