// nn::Unflatten: reshapes dimension `dim` into `sizes` (torch.nn.Unflatten); no parameters.
#pragma once
#include "specnet/nn/module.h"

namespace specnet::nn {

class Unflatten : public Module {
 public:
  Unflatten(std::int64_t dim, Shape sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  Tensor forward(const Tensor& x) override;  // (B, C*L) -> (B, C, L) for dim 1, sizes (C, L)
  std::string type_name() const override { return "Unflatten"; }

 private:
  std::int64_t dim_;
  Shape sizes_;
};

}  // namespace specnet::nn
