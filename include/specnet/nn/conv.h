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

// What both convolutions share (torch's _ConvNd): sizes, options, the weight and bias and their init.
class Conv1dBase : public Module {
 public:
  std::int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions opt;
  Tensor weight;  // Conv1d (O, C, K); ConvTranspose1d (C, O, K)
  Tensor bias;    // (O) or undefined

 protected:
  // kaiming_uniform_(a=sqrt(5)) on the weight, then bias U(-1/sqrt(fan_in), ...), fan_in = weight.size(1) * K.
  Conv1dBase(const char* name, std::int64_t in, std::int64_t out, std::int64_t k, bool transposed, Rng& rng,
             const Conv1dOptions& o);
};

class Conv1d : public Conv1dBase {
 public:
  Conv1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Rng& rng,
         Conv1dOptions opt = {});
  Tensor forward(const Tensor& x) override;  // (B, C, L) -> (B, O, M)
  std::string type_name() const override { return "Conv1d"; }
};

// torch computes this layer's fan_in from weight.size(1) = O, so its init bound is 1/sqrt(O K).
class ConvTranspose1d : public Conv1dBase {
 public:
  ConvTranspose1d(std::int64_t in_channels, std::int64_t out_channels, std::int64_t kernel_size, Rng& rng,
                  Conv1dOptions opt = {});
  Tensor forward(const Tensor& x) override;  // (B, C, L) -> (B, O, M)
  std::string type_name() const override { return "ConvTranspose1d"; }
};

}  // namespace specnet::nn
