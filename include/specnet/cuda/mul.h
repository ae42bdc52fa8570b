// Broadcasting multiply kernels (CUDA), as torch.mul; backward forms out-shaped gradients (da / db may be null).
// Same signatures as specnet/cpu/mul.h with device pointers (src/cuda/mul.cu); backward accumulates.
#pragma once
#include "specnet/cpu/broadcast.h"

namespace specnet::cuda {

using cpu::BroadcastPlan;  // the same plan drives both backends

// out (plan.out) = a * b
template <typename T>
void mul_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);
// da (plan.out) += dout * b;  db (plan.out) += dout * a
template <typename T>
void mul_backward(T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastPlan& plan);

}  // namespace specnet::cuda
