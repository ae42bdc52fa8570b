// optim::Adam (L2 weight decay added to the gradient) and optim::AdamW (decoupled decay, default 1e-2), with
// amsgrad and maximize, following torch.optim.Adam / AdamW's single-tensor implementation (torch 1.13).
#pragma once
#include "specnet/optim/optimizer.h"

namespace specnet::optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false, maximize = false;
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<ParamGroup> groups, AdamOptions opt = {}) : Adam(std::move(groups), opt, false) {}
  Adam(const NamedTensors& params, AdamOptions opt = {}) : Adam(single_group(params), opt) {}
  std::string type_name() const override { return decoupled_ ? "AdamW" : "Adam"; }
  const AdamOptions& options() const { return opt_; }

 protected:
  Adam(std::vector<ParamGroup> groups, AdamOptions opt, bool decoupled);
  std::vector<std::string> slot_names() const override;
  void update(const Group& g, ParamState& st, Tensor& param, const Tensor& grad) override;

 private:
  AdamOptions opt_;
  bool decoupled_;
};

// AdamW's default weight decay is 1e-2 (torch.optim.AdamW).
struct AdamWOptions : AdamOptions {
  AdamWOptions() { weight_decay = 1e-2; }
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<ParamGroup> groups, AdamWOptions opt = {}) : Adam(std::move(groups), opt, true) {}
  AdamW(const NamedTensors& params, AdamWOptions opt = {}) : AdamW(single_group(params), opt) {}
};

}  // namespace specnet::optim
