// Differentiable reductions: sum/mean over all elements or over axes (keepdim as PyTorch), max over one
// axis (gradient to the first maximal element, as torch.max(dim)) or over all elements.
#pragma once
#include <vector>

#include "specnet/tensor.h"

namespace specnet {

Tensor sum(const Tensor& x);                                                     // scalar
Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor mean(const Tensor& x);                                                    // scalar
Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim = false);
Tensor max(const Tensor& x);                                                     // scalar
Tensor max(const Tensor& x, std::int64_t dim, bool keepdim = false);            // values only
// Indices of the maximum along dim (float tensor of indices, no gradient).
Tensor argmax(const Tensor& x, std::int64_t dim, bool keepdim = false);

// Sum `x` down to `shape` (the inverse of broadcasting): used by broadcasting ops' backward.
Tensor sum_to_shape(const Tensor& x, const Shape& shape);

}  // namespace specnet
