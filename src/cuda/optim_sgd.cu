// Fused SGD step on the GPU, the expression order of src/optim/sgd.cpp (torch.optim.SGD's _single_tensor_sgd):
// weight decay, momentum buffer (first step: d_p itself), Nesterov, then param.add_(d_p, alpha=-lr).
#include "specnet/cuda/kernel.cuh"
#include "specnet/cuda/optim.h"

namespace specnet::cuda {

template <typename T>
void sgd_update(T* p, const T* grad, T* buf, bool first, std::int64_t n, const optim::SGDOptions& o, double lr_d,
                double wd_d) {
  const T lr = static_cast<T>(lr_d), wd = static_cast<T>(wd_d), mom = static_cast<T>(o.momentum);
  const T one_minus_damp = static_cast<T>(1.0 - o.dampening);
  const bool maximize = o.maximize, nesterov = o.nesterov, decay = wd_d != 0;
  for_each_index("sgd_update", n, [=] __device__(std::int64_t i) {
    T d = maximize ? -grad[i] : grad[i];
    if (decay) d = d + wd * p[i];
    if (buf) {
      buf[i] = first ? d : buf[i] * mom + one_minus_damp * d;
      d = nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] = p[i] + (-lr) * d;
  });
}

template void sgd_update<float>(float*, const float*, float*, bool, std::int64_t, const optim::SGDOptions&, double,
                                double);
template void sgd_update<double>(double*, const double*, double*, bool, std::int64_t, const optim::SGDOptions&, double,
                                 double);

}  // namespace specnet::cuda
