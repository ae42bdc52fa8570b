// Broadcasting add kernel (CUDA), as torch.add (backward is a sum_to_shape reduction, no kernel).
// Same signatures as specnet/cpu/add.h with device pointers (src/cuda/add.cu); backward accumulates.
#pragma once
#include "specnet/cpu/broadcast.h"

namespace specnet::cuda {

using cpu::BroadcastPlan;  // the same plan drives both backends

// out (plan.out) = a + b
template <typename T>
void add_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan);

}  // namespace specnet::cuda
