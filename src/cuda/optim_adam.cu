// Fused Adam / AdamW step on the GPU, the expression order of src/optim/adam.cpp (torch 1.13's
// _single_tensor_adam(w)): decay, moment updates, optional amsgrad maximum, then addcdiv with the step size.
#include "specnet/cuda/kernel.cuh"
#include "specnet/cuda/optim.h"

namespace specnet::cuda {

template <typename T>
void adam_update(T* p, const T* grad, T* m, T* v, T* vmax, std::int64_t n, const optim::AdamOptions& o, double lr,
                 double weight_decay, double step_size, double bias_correction2_sqrt, bool decoupled) {
  const T b1 = static_cast<T>(o.beta1), b2 = static_cast<T>(o.beta2);
  const T one_b1 = static_cast<T>(1.0 - o.beta1), one_b2 = static_cast<T>(1.0 - o.beta2);
  const T wd = static_cast<T>(weight_decay), decay = static_cast<T>(1.0 - lr * weight_decay);
  const T bc2 = static_cast<T>(bias_correction2_sqrt), eps = static_cast<T>(o.eps);
  const T neg_step = static_cast<T>(-step_size);
  const bool maximize = o.maximize, l2 = weight_decay != 0;
  for_each_index("adam_update", n, [=] __device__(std::int64_t i) {
    T g = maximize ? -grad[i] : grad[i];
    if (decoupled) {
      p[i] = p[i] * decay;  // param.mul_(1 - lr * weight_decay)
    } else if (l2) {
      g = g + wd * p[i];    // grad.add(param, alpha=weight_decay)
    }
    m[i] = m[i] * b1 + one_b1 * g;
    v[i] = v[i] * b2 + one_b2 * g * g;
    T second = v[i];
    if (vmax) {
      const T prev = vmax[i];
      second = vmax[i] = prev < v[i] ? v[i] : prev;  // std::max(vmax, v)
    }
    const T denom = sqrt(second) / bc2 + eps;
    p[i] = p[i] + neg_step * m[i] / denom;
  });
}

template void adam_update<float>(float*, const float*, float*, float*, float*, std::int64_t, const optim::AdamOptions&,
                                 double, double, double, double, bool);
template void adam_update<double>(double*, const double*, double*, double*, double*, std::int64_t,
                                  const optim::AdamOptions&, double, double, double, double, bool);

}  // namespace specnet::cuda
