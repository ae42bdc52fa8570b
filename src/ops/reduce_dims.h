// Dimension bookkeeping for reductions (private to src/ops): dim normalisation with clear errors, and
// the (outer, n, inner) view of a contiguous tensor around a block of adjacent dims.
#pragma once
#include <vector>

#include "specnet/tensor.h"

namespace specnet::detail {

// dim in [-ndim, ndim) -> [0, ndim); throws naming the op and shape otherwise.
inline std::int64_t normalize_dim(const char* op, std::int64_t dim, const Shape& shape) {
  const std::int64_t nd = static_cast<std::int64_t>(shape.size());
  SPECNET_CHECK(dim >= -nd && dim < nd, op, ": dim ", dim, " out of range for shape ", shape_str(shape),
                " (valid: ", -nd, " to ", nd - 1, ")");
  return dim < 0 ? dim + nd : dim;
}

// (outer, n, inner) for reducing dims [d0, d1) of shape.
struct AxisView {
  std::int64_t outer = 1, n = 1, inner = 1;
};
inline AxisView axis_view(const Shape& shape, std::size_t d0, std::size_t d1) {
  AxisView v;
  for (std::size_t d = 0; d < shape.size(); ++d) (d < d0 ? v.outer : d < d1 ? v.n : v.inner) *= shape[d];
  return v;
}

}  // namespace specnet::detail
