// nn::BatchNorm1d over (B, C) or (B, C, L) inputs (torch.nn.BatchNorm1d): weight 1, bias 0, running_mean 0,
// running_var 1, num_batches_tracked (a float scalar holding the count; torch keeps an int64 scalar).
#pragma once
#include <optional>

#include "specnet/nn/module.h"

namespace specnet::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  std::optional<double> momentum = 0.1;  // nullopt: cumulative moving average, 1 / num_batches_tracked
  bool affine = true;
  bool track_running_stats = true;
  DType dtype = DType::f32;
};

class BatchNorm1d : public Module {
 public:
  explicit BatchNorm1d(std::int64_t num_features, BatchNormOptions opt = {});
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BatchNorm1d"; }

  std::int64_t num_features;
  BatchNormOptions opt;
  Tensor weight, bias;                                 // (C) or undefined (affine=false)
  Tensor running_mean, running_var, num_batches_tracked;  // (C), (C), () or undefined
};

}  // namespace specnet::nn
