// nn::Linear: y = x W^T + b with W (O, I), b (O) (torch.nn.Linear, same parameter names and default init).
#pragma once
#include "specnet/nn/module.h"

namespace specnet::nn {

class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Rng& rng, bool bias = true, DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override;  // (..., I) -> (..., O)
  std::string type_name() const override { return "Linear"; }

  std::int64_t in_features, out_features;
  Tensor weight;  // (O, I)
  Tensor bias;    // (O) or undefined
};

}  // namespace specnet::nn
