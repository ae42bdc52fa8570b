// Broadcast plan for binary element-wise kernels: NumPy/PyTorch broadcasting of two contiguous operands,
// with adjacent dimensions that broadcast alike merged so that most cases become 1-d or 2-d loops.
#pragma once
#include <cstdint>

#include "specnet/dtype.h"

namespace specnet::cpu {

// out: merged output dims (at least one); a_strides / b_strides: element strides of each operand over
// those dims (0 where the operand is broadcast). Linear output index i runs row-major over `out`.
struct BroadcastPlan {
  Shape out, a_strides, b_strides;
};

// Plan for contiguous a (a_shape) and b (b_shape) read at out_shape = broadcast_shape(a_shape, b_shape).
BroadcastPlan make_broadcast_plan(const Shape& out_shape, const Shape& a_shape, const Shape& b_shape);

}  // namespace specnet::cpu
