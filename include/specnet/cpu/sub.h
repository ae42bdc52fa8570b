// Broadcasting subtract kernel (CPU), as torch.sub. Its backward is a reduction of dout (negated for b)
// to each operand's shape (sum_to_shape), so only the forward lives here.
#pragma once
#include "specnet/cpu/broadcast.h"

namespace specnet::cpu {

// out (plan.out) = a - b
template <typename T>
void sub_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);

}  // namespace specnet::cpu
