// Differentiable element-wise math: exp, log, sqrt, abs, clamp (torch semantics: clamp passes the
// gradient where min <= x <= max; abs has gradient sign(x), 0 at 0).
#pragma once
#include <limits>

#include "specnet/tensor.h"

namespace specnet {

Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor clamp(const Tensor& x, double min = -std::numeric_limits<double>::infinity(),
             double max = std::numeric_limits<double>::infinity());

}  // namespace specnet
