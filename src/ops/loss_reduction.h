// Reduction bookkeeping shared by the fused losses (private to src/ops), as torch's reduction argument:
// 'none' keeps the element losses, 'sum' adds them, 'mean' divides the sum by the element count.
#pragma once
#include "specnet/ops/loss.h"

namespace specnet::detail {

inline Shape loss_shape(Reduction r, const Shape& input_shape) { return r == Reduction::none ? input_shape : Shape{}; }

// Factor applied to the element-loss sum (and to the gradient): 1/n for mean (NaN for n = 0, as torch).
inline double loss_scale(Reduction r, std::int64_t n) {
  return r == Reduction::mean ? 1.0 / static_cast<double>(n) : 1.0;
}

// Reduced result as a scalar tensor (on any device) from the kernel's element-loss sum.
inline void store_reduced(Tensor& out, double total, double scale) {
  out.fill_(total * scale);  // a fresh result that needs no grad yet: fill_ is allowed
}

}  // namespace specnet::detail
