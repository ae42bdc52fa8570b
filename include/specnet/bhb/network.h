// The spectral-posterior flow-autoencoder of paper 002 (reference-architectures.md section B): a convolutional
// encoder to a 120-wide context, a conditional neural spline flow q(theta | context) and a GRU decoder theta -> spectrum.
#pragma once
#include <memory>
#include <vector>

#include "specnet/nn/container.h"
#include "specnet/nn/conv.h"
#include "specnet/nn/dropout.h"
#include "specnet/nn/gru.h"
#include "specnet/nn/linear.h"
#include "specnet/nn/spline_flow.h"

namespace specnet::bhb {

struct NetworkConfig {
  std::int64_t bins = 240;        // L: spectral bins
  std::int64_t in_channels = 2;   // K: input channels, Scaling::channels() (2: scaled log rate and its uncertainty;
                                  // 3 with the shape scaling, which adds the spectrum's level)
  std::int64_t params = 5;        // D: physical parameters (z-scored)
  std::int64_t context = 120;     // C: encoder output and flow context
  std::vector<std::int64_t> conv_channels = {16, 32, 32, 32, 32, 32};  // k2 s2, k3, k2 s2, k3, ... alternating
  std::vector<std::int64_t> decoder_hidden = {120, 120};               // then L (=c0), L (=c1)
  std::int64_t gru_layers = 2, gru_hidden = 1;
  double decoder_dropout = 0.05;  // on the decoder's linear layers during training
  nn::SplineFlowOptions flow;     // features / context_features are set from params / context
  std::uint64_t dropout_seed = 0;
};

// x (B, K, L) -> context (B, C). Parameters "convs.<i>.weight/bias", "embed", "dense1", "dense2".
class Encoder : public nn::Module {
 public:
  Encoder(const NetworkConfig& cfg, Rng& rng);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "BhbEncoder"; }
  std::int64_t flat_features = 0;  // channels x length after the convolutions (832 for L = 240)

 private:
  std::int64_t in_channels_ = 2;
  std::vector<std::shared_ptr<nn::Conv1d>> convs_;
  std::shared_ptr<nn::Linear> embed_, dense1_, dense2_;
};

// theta (B, D) -> reconstruction (B, L). Parameters "dense.<i>" (Linear D->120->120->L->L), "gru", "out".
class Decoder : public nn::Module {
 public:
  Decoder(const NetworkConfig& cfg, Rng& rng);
  Tensor forward(const Tensor& theta) override;
  std::string type_name() const override { return "BhbDecoder"; }

 private:
  std::int64_t bins_;
  std::vector<std::shared_ptr<nn::Linear>> dense_;
  std::vector<std::shared_ptr<nn::Dropout>> drop_;
  std::shared_ptr<nn::GRU> gru_;
  std::shared_ptr<nn::Linear> out_;
};

// Children "encoder", "flow", "decoder" (state_dict keys "encoder.convs.0.weight", "flow.transforms.0....").
class Network : public nn::Module {
 public:
  Network(const NetworkConfig& cfg, Rng& rng);
  Tensor forward(const Tensor& x) override { return encoder->forward(x); }  // the context
  std::string type_name() const override { return "BhbNetwork"; }

  NetworkConfig config;
  std::shared_ptr<Encoder> encoder;
  std::shared_ptr<nn::SplineFlow> flow;
  std::shared_ptr<Decoder> decoder;
};

// The three losses, each a mean over the batch (scalars).
struct Losses {
  Tensor reconstruction;  // Gaussian NLL of the decoded spectrum, variance = input uncertainty^2 (undefined at weight 0)
  Tensor flow;            // -log q(theta | x)
  Tensor latent;          // MSE between one reparameterised flow draw and theta (undefined when it and the
                          // reconstruction weight are both 0: no draw is made)
  Tensor total;           // weighted sum
};
struct LossWeights {
  double reconstruction = 1, flow = 1, latent = 1;  // equal weights in the paper
};

// Stage 1 (decoder alone): Gaussian NLL of decoder(theta) against x[:, 0] with variance x[:, 1]^2.
Tensor decoder_loss(Network& net, const Tensor& x, const Tensor& theta);
// Stages 2 and 3 (encoder + flow; the decoder runs on the reparameterised draw and passes gradients through).
// x (B, K, L), theta (B, D).
Losses autoencoder_losses(Network& net, const Tensor& x, const Tensor& theta, Rng& rng, const LossWeights& w = {});

}  // namespace specnet::bhb
