// Fused optimizer updates on the GPU (src/cuda/optim_sgd.cu, optim_adam.cu, optim_ema.cu): one kernel per parameter
// step with torch.optim's single-tensor formulas, used by optim::SGD / Adam / AdamW / ParameterEma on cuda.
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

// avg, p (n): avg.lerp_(p, weight), the formula of optim::ema_update (ParameterEma on cuda).
template <typename T>
void ema_update(T* avg, const T* p, std::int64_t n, T weight);

}  // namespace specnet::cuda
