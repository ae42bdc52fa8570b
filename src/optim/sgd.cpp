// optim::SGD: torch.optim.SGD (_single_tensor_sgd) as one loop over raw buffers, each torch tensor op
// evaluated in the parameter's precision with the same operation order.
#include "specnet/optim/sgd.h"

#include <cmath>

#include "specnet/context.h"
#include "specnet/cuda/optim.h"

namespace specnet::optim {

SGD::SGD(std::vector<ParamGroup> groups, SGDOptions opt) : Optimizer(std::move(groups), opt.lr, opt.weight_decay), opt_(opt) {
  check_hyper(std::isfinite(opt.momentum) && opt.momentum >= 0, str("SGD: invalid momentum ", opt.momentum));
  check_hyper(std::isfinite(opt.dampening), str("SGD: invalid dampening ", opt.dampening));
  check_hyper(!opt.nesterov || (opt.momentum > 0 && opt.dampening == 0),
              "SGD: Nesterov momentum requires a momentum and zero dampening");
}

std::vector<std::string> SGD::slot_names() const {
  return opt_.momentum != 0 ? std::vector<std::string>{"momentum_buffer"} : std::vector<std::string>{};
}

template <typename T>
static void sgd_update(T* __restrict p, const T* __restrict grad, T* __restrict buf, bool first, std::int64_t n, const SGDOptions& o, double lr_d,
                       double wd_d) {
  const T lr = static_cast<T>(lr_d), wd = static_cast<T>(wd_d), mom = static_cast<T>(o.momentum);
  const T one_minus_damp = static_cast<T>(1.0 - o.dampening);
  for (std::int64_t i = 0; i < n; ++i) {
    T d = o.maximize ? -grad[i] : grad[i];
    if (wd_d != 0) d = d + wd * p[i];           // d_p = d_p.add(param, alpha=weight_decay)
    if (buf) {
      buf[i] = first ? d : buf[i] * mom + one_minus_damp * d;  // buf.mul_(momentum).add_(d_p, alpha=1-dampening)
      d = o.nesterov ? d + mom * buf[i] : buf[i];
    }
    p[i] = p[i] + (-lr) * d;                    // param.add_(d_p, alpha=-lr)
  }
}

void SGD::update(const Group& g, ParamState& st, Tensor& param, const Tensor& grad) {
  const bool first = opt_.momentum != 0 && !st.slots[0].defined();
  if (first) st.slots[0] = Tensor::zeros(param.shape(), param.dtype(), param.device());
  ++st.step;
  if (param.device() == Device::cuda) {  // one fused kernel on the device
#ifdef SPECNET_WITH_CUDA
    SPECNET_DISPATCH_FLOAT(param.dtype(), T, {
      cuda::sgd_update<T>(param.ptr<T>(), grad.ptr<T>(), opt_.momentum != 0 ? st.slots[0].ptr<T>() : nullptr, first,
                          param.numel(), opt_, g.lr, g.weight_decay);
    });
#endif
    return;
  }
  SPECNET_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data<T>();
    const T* gr = grad.data<T>();
    T* buf = opt_.momentum != 0 ? st.slots[0].data<T>() : nullptr;
    // element-wise, so the chunking cannot change results
    parallel_for(param.numel(), kOptimGrain, [&](std::int64_t b, std::int64_t e) {
      sgd_update<T>(p + b, gr + b, buf ? buf + b : nullptr, first, e - b, opt_, g.lr, g.weight_decay);
    });
  });
}

}  // namespace specnet::optim
