// Fused optimizer updates on the GPU (src/cuda/optim_sgd.cu, src/cuda/optim_adam.cu): one kernel per parameter
// step with torch.optim's single-tensor formulas, used by optim::SGD / Adam / AdamW when parameters are on cuda.
#pragma once
#include <cstdint>

#include "specnet/optim/adam.h"
#include "specnet/optim/sgd.h"

namespace specnet::cuda {

// p, grad, buf (n): SGD with momentum buffer buf (null without momentum; `first` sets it to d_p).
template <typename T>
void sgd_update(T* p, const T* grad, T* buf, bool first, std::int64_t n, const optim::SGDOptions& o, double lr,
                double weight_decay);

// p, grad, m, v, vmax (n; vmax null without amsgrad): Adam (decoupled = false) or AdamW. step_size is
// lr / bias_correction1, bias_correction2_sqrt = sqrt(1 - beta2^step), both computed in double by the caller.
template <typename T>
void adam_update(T* p, const T* grad, T* m, T* v, T* vmax, std::int64_t n, const optim::AdamOptions& o, double lr,
                 double weight_decay, double step_size, double bias_correction2_sqrt, bool decoupled);

}  // namespace specnet::cuda
