// Broadcasting add kernel (CPU), as torch.add. Its backward is a reduction of dout to each operand's
// shape (sum_to_shape), so only the forward lives here. `out` may alias `a` (in-place accumulation).
#pragma once
#include "specnet/cpu/broadcast.h"

namespace specnet::cpu {

// out (plan.out) = a + b
template <typename T>
void add_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);

}  // namespace specnet::cpu
