// optim::ParameterEma: torch.optim.swa_utils.AveragedModel with get_ema_multi_avg_fn (first update copies, then
// _foreach_lerp_(avg, param, 1 - decay)); the element update is torch's lerp formula, CUDA mirror in optim_ema.cu.
#include "specnet/optim/ema.h"

#include <cmath>
#include <map>
#include <string>

#include "specnet/autograd.h"
#include "specnet/context.h"
#include "specnet/cuda/optim.h"
#include "specnet/error.h"

namespace specnet::optim {

template <typename T>
void ema_update(T* avg, const T* p, std::int64_t n, T weight) {
  // at::lerp: the side nearer the weight keeps the rounding small (weight < 0.5 from avg, else from p)
  if (std::abs(weight) < T(0.5)) {
    for (std::int64_t i = 0; i < n; ++i) avg[i] = avg[i] + weight * (p[i] - avg[i]);
  } else {
    for (std::int64_t i = 0; i < n; ++i) avg[i] = p[i] - (p[i] - avg[i]) * (T(1) - weight);
  }
}
template void ema_update<float>(float*, const float*, std::int64_t, float);
template void ema_update<double>(double*, const double*, std::int64_t, double);

ParameterEma::ParameterEma(nn::NamedTensors params, double decay) : params_(std::move(params)), decay_(decay) {
  SPECNET_CHECK(std::isfinite(decay) && decay >= 0 && decay < 1, "ParameterEma: decay must be in [0, 1), got ", decay);
  for (const auto& [name, p] : params_)
    SPECNET_CHECK(p.defined() && p.is_contiguous(), "ParameterEma: parameter '", name, "' is undefined or not contiguous");
}

void ParameterEma::update() {
  NoGradGuard ng;
  if (n_averaged_ == 0) {
    avg_.clear();
    for (const auto& [name, p] : params_) avg_.emplace_back(name, p.detach().clone());
  } else {
    for (std::size_t k = 0; k < params_.size(); ++k) {
      const Tensor& p = params_[k].second;
      Tensor& a = avg_[k].second;
      SPECNET_DISPATCH_FLOAT(p.dtype(), T, {
        const T w = static_cast<T>(1.0 - decay_);
        if (p.device() == Device::cuda) {
#ifdef SPECNET_WITH_CUDA
          cuda::ema_update<T>(a.ptr<T>(), p.ptr<T>(), p.numel(), w);
#endif
        } else {
          T* av = a.data<T>();
          const T* pv = p.data<T>();
          // element-wise, so the chunking cannot change results
          parallel_for(p.numel(), kOptimGrain, [&](std::int64_t b, std::int64_t e) { ema_update<T>(av + b, pv + b, e - b, w); });
        }
      });
    }
  }
  ++n_averaged_;
}

void ParameterEma::swap() {
  SPECNET_CHECK(n_averaged_ > 0, "ParameterEma::swap: no averages yet (call update() after an optimizer step first)");
  NoGradGuard ng;
  for (std::size_t k = 0; k < params_.size(); ++k) {
    Tensor& p = params_[k].second;
    Tensor& a = avg_[k].second;
    Tensor tmp = a.detach().clone();
    a.copy_(p);
    p.copy_(tmp);
  }
}

nn::NamedTensors ParameterEma::state_dict() const {
  nn::NamedTensors out{{"n_averaged", Tensor::scalar(double(n_averaged_), DType::f64)}};
  for (const auto& [name, a] : avg_) out.emplace_back("module." + name, a.detach().clone());
  return out;
}

void ParameterEma::load_state_dict(const nn::NamedTensors& state) {
  const Tensor* count = nullptr;
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : state) {
    if (name == "n_averaged") count = &t;
    else by_name[name] = &t;
  }
  SPECNET_CHECK(count && count->numel() == 1, "ParameterEma: state lacks a scalar 'n_averaged'");
  const double n = count->to_vector()[0];
  SPECNET_CHECK(std::isfinite(n) && n >= 0 && n == std::floor(n), "ParameterEma: n_averaged ", n, " is no count");
  const std::size_t want = n > 0 ? params_.size() : 0;
  SPECNET_CHECK(by_name.size() == want, "ParameterEma: state has ", by_name.size(), " averages, expected ", want);
  nn::NamedTensors avg;
  for (const auto& [name, p] : params_) {
    if (want == 0) break;
    auto it = by_name.find("module." + name);
    SPECNET_CHECK(it != by_name.end(), "ParameterEma: state lacks the average of '", name, "'");
    const Tensor& t = *it->second;
    SPECNET_CHECK(t.shape() == p.shape() && t.dtype() == p.dtype(), "ParameterEma: average of '", name, "' has shape ",
                  shape_str(t.shape()), " ", dtype_name(t.dtype()), ", the parameter ", shape_str(p.shape()), " ",
                  dtype_name(p.dtype()));
    avg.emplace_back(name, t.detach().to(p.device()).contiguous().clone());
  }
  avg_ = std::move(avg);
  n_averaged_ = static_cast<std::int64_t>(n);
}

}  // namespace specnet::optim
