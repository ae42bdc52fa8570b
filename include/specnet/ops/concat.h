// Differentiable concatenation along one dimension (torch.cat).
#pragma once
#include <vector>

#include "specnet/tensor.h"

namespace specnet {

Tensor concat(const std::vector<Tensor>& xs, std::int64_t dim);

}  // namespace specnet
