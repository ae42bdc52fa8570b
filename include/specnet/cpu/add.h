// Broadcasting add and subtract kernels (CPU), as torch.add / torch.sub. Their backward is a reduction
// of dout to each operand's shape (see sum.h), so only forwards live here. `out` may alias `a`.
#pragma once
#include "specnet/cpu/broadcast.h"

namespace specnet::cpu {

template <typename T>
void add_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);
template <typename T>
void sub_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);

}  // namespace specnet::cpu
