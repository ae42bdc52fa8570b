// nn::Residual: the ResNet block pattern act(main(x) + shortcut(x)); the shortcut is the identity when
// absent (main must then keep x's shape), a projection (e.g. a 1x1 Conv1d) otherwise.
#include "specnet/nn/container.h"
#include "specnet/ops/arith.h"

namespace specnet::nn {

Residual::Residual(std::shared_ptr<Module> main, std::shared_ptr<Module> shortcut, std::shared_ptr<Module> act,
                   const ResidualNames& names)
    : main_(std::move(main)), shortcut_(std::move(shortcut)), act_(std::move(act)) {
  SPECNET_CHECK(main_ != nullptr, "Residual: the main branch is null");
  register_module(names.main, main_);
  if (shortcut_) register_module(names.shortcut, shortcut_);
  if (act_) register_module(names.act, act_);
}

Tensor Residual::forward(const Tensor& x) {
  Tensor m = main_->forward(x);
  Tensor s = shortcut_ ? shortcut_->forward(x) : x;
  SPECNET_CHECK(m.shape() == s.shape(), "Residual: main branch gives ", shape_str(m.shape()), " but the ",
                shortcut_ ? "shortcut gives " : "identity shortcut is ", shape_str(s.shape()),
                shortcut_ ? "" : " (add a projection shortcut)");
  Tensor y = add(m, s);
  return act_ ? act_->forward(y) : y;
}

}  // namespace specnet::nn
