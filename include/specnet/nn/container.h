// Containers: nn::Sequential (torch.nn.Sequential, children named "0", "1", ...) and nn::Residual,
// out = act(main(x) + shortcut(x)) with an identity shortcut and no activation when those are null.
#pragma once
#include <initializer_list>

#include "specnet/nn/module.h"

namespace specnet::nn {

class Sequential : public Module {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<Module>> layers);
  // Appends a layer under the next index name; returns *this for chaining.
  Sequential& push_back(std::shared_ptr<Module> layer);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Sequential"; }
  std::size_t size() const { return layers_.size(); }
  Module& operator[](std::size_t i) const;

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

// Child names default to "main", "shortcut", "act"; pass others to match an existing PyTorch state_dict.
struct ResidualNames {
  std::string main = "main", shortcut = "shortcut", act = "act";
};

class Residual : public Module {
 public:
  explicit Residual(std::shared_ptr<Module> main, std::shared_ptr<Module> shortcut = nullptr,
                    std::shared_ptr<Module> act = nullptr, const ResidualNames& names = {});
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Residual"; }

 private:
  std::shared_ptr<Module> main_, shortcut_, act_;
};

}  // namespace specnet::nn
