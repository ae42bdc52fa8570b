// Broadcasting multiply kernels (CPU), as torch.mul. Backward writes out-shaped gradients (the caller
// reduces them to each operand's shape); da / db may be null. Backward accumulates.
#pragma once
#include "specnet/cpu/broadcast.h"

namespace specnet::cpu {

// out (plan.out) = a * b
template <typename T>
void mul_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);
// da (plan.out) += dout * b;  db (plan.out) += dout * a
template <typename T>
void mul_backward(T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastPlan& plan);

}  // namespace specnet::cpu
