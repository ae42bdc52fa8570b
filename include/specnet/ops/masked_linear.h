// Differentiable masked linear map y = x (W * M)^T + b, as nflows' MaskedLinear.forward
// (F.linear(x, self.weight * self.mask, self.bias)); the mask is a constant 0/1 matrix.
#pragma once
#include "specnet/tensor.h"

namespace specnet {

// x (..., I); w (O, I); mask (O, I) of 0/1, no gradient; b (O) or undefined -> (..., O).
// dW = dW_linear * M, so masked weights never receive gradient.
Tensor masked_linear(const Tensor& x, const Tensor& w, const Tensor& mask, const Tensor& b = Tensor());

}  // namespace specnet
