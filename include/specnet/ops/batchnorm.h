// Differentiable batch normalisation over (B, C) or (B, C, L) inputs, per channel C
// (torch.nn.functional.batch_norm). Training: batch statistics (biased variance) normalise the input and
// the running statistics are updated in place with `momentum` (unbiased variance), as PyTorch does.
// Eval: the running statistics normalise. weight/bias may be undefined (affine=false).
#pragma once
#include "specnet/tensor.h"

namespace specnet {

Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum = 0.1, double eps = 1e-5);

}  // namespace specnet
