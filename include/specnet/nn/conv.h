// nn::Conv1d and nn::ConvTranspose1d (torch.nn.Conv1d / ConvTranspose1d with groups=1, zero padding):
// same parameter names, weight layouts and default initialisation as torch.
#pragma once
#include "specnet/nn/module.h"

namespace specnet::nn {

struct Conv1dOptions {
  std::int64_t stride = 1, padding = 0, dilation = 1;
  std::int64_t output_padding = 0;  // ConvTranspose1d only
  bool bias = true;
  DType dtype = DType::f32;
};

class Conv1d : public Module {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Rng& rng,
         Conv1dOptions opt = {});
  Tensor forward(const Tensor& x) override;  // (B, C, L) -> (B, O, M)
  std::string type_name() const override { return "Conv1d"; }

  std::int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions opt;
  Tensor weight;  // (O, C, K), fan_in = C K
  Tensor bias;    // (O) or undefined
};

class ConvTranspose1d : public Module {
 public:
  ConvTranspose1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Rng& rng,
                  Conv1dOptions opt = {});
  Tensor forward(const Tensor& x) override;  // (B, C, L) -> (B, O, M)
  std::string type_name() const override { return "ConvTranspose1d"; }

  std::int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions opt;
  Tensor weight;  // (C, O, K); torch's fan_in = weight.size(1) * K = O K
  Tensor bias;    // (O) or undefined
};

}  // namespace specnet::nn
