// optim::SGD with momentum, dampening, Nesterov momentum, L2 weight decay and maximize, exactly as
// torch.optim.SGD's single-tensor update (momentum buffer = first d_p, then m buf + (1 - dampening) d_p).
#pragma once
#include "specnet/optim/optimizer.h"

namespace specnet::optim {

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0, dampening = 0, weight_decay = 0;
  bool nesterov = false, maximize = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<ParamGroup> groups, SGDOptions opt = {});
  SGD(const NamedTensors& params, SGDOptions opt = {}) : SGD(single_group(params), opt) {}
  std::string type_name() const override { return "SGD"; }
  const SGDOptions& options() const { return opt_; }

 protected:
  std::vector<std::string> slot_names() const override;
  void update(const Group& g, ParamState& st, Tensor& param, const Tensor& grad) override;

 private:
  SGDOptions opt_;
};

}  // namespace specnet::optim
