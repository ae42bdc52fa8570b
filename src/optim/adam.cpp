// optim::Adam / AdamW: torch 1.13's _single_tensor_adam(w) as one loop over raw buffers. Bias corrections
// and the step size are computed in double (Python floats in torch), tensor arithmetic in the parameter type.
#include "specnet/optim/adam.h"

#include <algorithm>
#include <cmath>

#include "specnet/context.h"
#include "specnet/cuda/optim.h"

namespace specnet::optim {

Adam::Adam(std::vector<ParamGroup> groups, AdamOptions opt, bool decoupled)
    : Optimizer(std::move(groups), opt.lr, opt.weight_decay), opt_(opt), decoupled_(decoupled) {
  const char* who = decoupled ? "AdamW" : "Adam";
  check_hyper(opt.beta1 >= 0 && opt.beta1 < 1, str(who, ": invalid beta1 ", opt.beta1, " (need 0 <= beta1 < 1)"));
  check_hyper(opt.beta2 >= 0 && opt.beta2 < 1, str(who, ": invalid beta2 ", opt.beta2, " (need 0 <= beta2 < 1)"));
  check_hyper(std::isfinite(opt.eps) && opt.eps >= 0, str(who, ": invalid eps ", opt.eps));
}

std::vector<std::string> Adam::slot_names() const {
  std::vector<std::string> s{"exp_avg", "exp_avg_sq"};
  if (opt_.amsgrad) s.push_back("max_exp_avg_sq");
  return s;
}

struct AdamScalars {
  double lr, weight_decay, step_size, bias_correction2_sqrt;
};

template <typename T>
static void adam_update(T* __restrict p, const T* __restrict grad, T* __restrict m, T* __restrict v,
                        T* __restrict vmax, std::int64_t n, const AdamOptions& o,
                        const AdamScalars& s, bool decoupled) {
  const T b1 = static_cast<T>(o.beta1), b2 = static_cast<T>(o.beta2);
  const T one_b1 = static_cast<T>(1.0 - o.beta1), one_b2 = static_cast<T>(1.0 - o.beta2);
  const T wd = static_cast<T>(s.weight_decay), decay = static_cast<T>(1.0 - s.lr * s.weight_decay);
  const T bc2 = static_cast<T>(s.bias_correction2_sqrt), eps = static_cast<T>(o.eps);
  const T neg_step = static_cast<T>(-s.step_size);
  for (std::int64_t i = 0; i < n; ++i) {
    T g = o.maximize ? -grad[i] : grad[i];
    if (decoupled) {
      p[i] = p[i] * decay;                                   // param.mul_(1 - lr * weight_decay)
    } else if (s.weight_decay != 0) {
      g = g + wd * p[i];                                     // grad.add(param, alpha=weight_decay)
    }
    m[i] = m[i] * b1 + one_b1 * g;                           // exp_avg.mul_(beta1).add_(grad, alpha=1-beta1)
    v[i] = v[i] * b2 + one_b2 * g * g;                       // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1-beta2)
    T second = v[i];
    if (vmax) second = vmax[i] = std::max(vmax[i], v[i]);   // torch.maximum(max_exp_avg_sq, exp_avg_sq)
    const T denom = std::sqrt(second) / bc2 + eps;           // (sqrt / bias_correction2_sqrt).add_(eps)
    p[i] = p[i] + neg_step * m[i] / denom;                   // param.addcdiv_(exp_avg, denom, value=-step_size)
  }
}

void Adam::update(const Group& g, ParamState& st, Tensor& param, const Tensor& grad) {
  for (auto& slot : st.slots)
    if (!slot.defined()) slot = Tensor::zeros(param.shape(), param.dtype(), param.device());
  ++st.step;
  const double step = static_cast<double>(st.step);
  const double bias_correction1 = 1.0 - std::pow(opt_.beta1, step);
  const double bias_correction2 = 1.0 - std::pow(opt_.beta2, step);
  const AdamScalars s{g.lr, g.weight_decay, g.lr / bias_correction1, std::sqrt(bias_correction2)};
  if (param.device() == Device::cuda) {  // one fused kernel on the device
#ifdef SPECNET_WITH_CUDA
    SPECNET_DISPATCH_FLOAT(param.dtype(), T, {
      cuda::adam_update<T>(param.ptr<T>(), grad.ptr<T>(), st.slots[0].ptr<T>(), st.slots[1].ptr<T>(),
                           opt_.amsgrad ? st.slots[2].ptr<T>() : nullptr, param.numel(), opt_, s.lr, s.weight_decay,
                           s.step_size, s.bias_correction2_sqrt, decoupled_);
    });
#endif
    return;
  }
  SPECNET_DISPATCH_FLOAT(param.dtype(), T, {
    T *p = param.data<T>(), *m = st.slots[0].data<T>(), *v = st.slots[1].data<T>();
    T* vmax = opt_.amsgrad ? st.slots[2].data<T>() : nullptr;
    const T* gr = grad.data<T>();
    // element-wise, so the chunking cannot change results
    parallel_for(param.numel(), kOptimGrain, [&](std::int64_t b, std::int64_t e) {
      adam_update<T>(p + b, gr + b, m + b, v + b, vmax ? vmax + b : nullptr, e - b, opt_, s, decoupled_);
    });
  });
}

}  // namespace specnet::optim
