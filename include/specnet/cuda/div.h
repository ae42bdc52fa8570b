// Broadcasting divide kernels (CUDA), as torch.div; backward forms out-shaped gradients (da / db may be null).
// Same signatures as specnet/cpu/div.h with device pointers (src/cuda/div.cu); backward accumulates.
#pragma once
#include "specnet/cpu/broadcast.h"

namespace specnet::cuda {

using cpu::BroadcastPlan;  // the same plan drives both backends

// out (plan.out) = a / b
template <typename T>
void div_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);
// da (plan.out) += dout / b;  db (plan.out) -= dout * a / b^2
template <typename T>
void div_backward(T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastPlan& plan);

}  // namespace specnet::cuda
