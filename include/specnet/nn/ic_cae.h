// The IC-search convolutional autoencoder (paper 000, public "iccae" code; shapes in
// ../shared/docs/reference-architectures.md section A). state_dict keys match tools/ic_cae_torch.py one to one.
#pragma once
#include <memory>
#include <vector>

#include "specnet/nn/batchnorm.h"
#include "specnet/nn/container.h"
#include "specnet/nn/conv.h"
#include "specnet/nn/linear.h"
#include "specnet/nn/module.h"

namespace specnet::nn {

struct IcCaeConfig {
  std::int64_t n_bins = 2960;                          // input length E (a multiple of 2^(blocks))
  std::int64_t latent = 4;
  std::vector<std::int64_t> channels{4, 16, 32, 64, 128};  // stem output, then each residual block
  std::vector<std::int64_t> hidden{500, 50};
};

// conv1(k3, stride) -> BN -> GELU -> conv2(k3) -> BN, plus skip (k1 conv + BN when channels change), GELU.
// Decoder blocks use transposed convolutions with output_padding 1 so stride 2 doubles the length.
class BasicBlock : public Module {
 public:
  BasicBlock(std::int64_t in_channels, std::int64_t channels, std::int64_t stride, bool decoder, Rng& rng);
  Tensor forward(const Tensor& x) override;  // (B, C, L) -> (B, O, L / stride) or (B, O, L * stride)
  std::string type_name() const override { return "BasicBlock"; }

 private:
  std::shared_ptr<Module> conv1_, conv2_, resize_;
  std::shared_ptr<BatchNorm1d> norm1_, norm2_;
};

class IcCae : public Module {
 public:
  IcCae(const IcCaeConfig& cfg, Rng& rng);
  struct Output {
    Tensor reconstruction;  // (B, 1, E)
    Tensor latent;          // (B, latent)
  };
  Output run(const Tensor& x);  // x (B, 1, E)
  Tensor forward(const Tensor& x) override { return run(x).reconstruction; }
  Tensor encode(const Tensor& x);   // (B, 1, E) -> (B, latent)
  Tensor decode(const Tensor& z);   // (B, latent) -> (B, 1, E)
  std::string type_name() const override { return "IcCae"; }
  const IcCaeConfig& config() const { return cfg_; }
  Module& encoder() const { return *encoder_; }
  Module& decoder() const { return *decoder_; }

 private:
  IcCaeConfig cfg_;
  std::shared_ptr<Module> encoder_, decoder_;
};

// Reference loss: MSE(recon, x) + weight * sum |label - latent| / B (weight 0 = the ordinary AE).
Tensor ic_cae_loss(const IcCae::Output& out, const Tensor& x, const Tensor& label, double weight = 0.1);

}  // namespace specnet::nn
