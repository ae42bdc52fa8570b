// Losses with PyTorch semantics: mse_loss, l1_loss, gaussian_nll_loss (var clamped to eps without
// blocking its gradient, `full` adds 0.5 log(2 pi)).
#pragma once
#include "specnet/tensor.h"

namespace specnet {

enum class Reduction { none, mean, sum };

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// var: same shape as input, or input's shape with the last dim 1 (broadcast), as torch.
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full = false,
                         double eps = 1e-6, Reduction reduction = Reduction::mean);

}  // namespace specnet
