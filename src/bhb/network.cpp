// Encoder, decoder and losses of the spectral-posterior flow-autoencoder (paper 002, fspnet "NF autoencoder"):
// layer sizes as reference-architectures.md section B; GELU after every layer except the final decoder Linear.
#include "specnet/bhb/network.h"

#include "specnet/ops.h"

namespace specnet::bhb {

Encoder::Encoder(const NetworkConfig& cfg, Rng& rng) {
  SPECNET_CHECK(cfg.bins > 0 && cfg.context > 0 && !cfg.conv_channels.empty() && cfg.in_channels >= 2,
                "bhb::Encoder: need bins > 0, context > 0, at least one convolution and >= 2 input channels");
  auto convs = register_module("convs", std::make_shared<nn::Sequential>());
  std::int64_t in = cfg.in_channels, length = cfg.bins;
  in_channels_ = cfg.in_channels;
  for (std::size_t i = 0; i < cfg.conv_channels.size(); ++i) {
    const bool down = i % 2 == 0;  // k2 s2 then k3 s1, alternating
    nn::Conv1dOptions o;
    o.stride = down ? 2 : 1;
    const std::int64_t k = down ? 2 : 3;
    length = (length - k) / o.stride + 1;
    SPECNET_CHECK(length > 0, "bhb::Encoder: ", cfg.bins, " bins are too few for ", cfg.conv_channels.size(),
                  " convolutions");
    convs_.push_back(std::make_shared<nn::Conv1d>(in, cfg.conv_channels[i], k, rng, o));
    convs->push_back(convs_.back());
    in = cfg.conv_channels[i];
  }
  flat_features = in * length;
  embed_ = register_module("embed", std::make_shared<nn::Linear>(flat_features, cfg.context, rng));
  dense1_ = register_module("dense1", std::make_shared<nn::Linear>(cfg.context, cfg.context, rng));
  dense2_ = register_module("dense2", std::make_shared<nn::Linear>(cfg.context, cfg.context, rng));
}

Tensor Encoder::forward(const Tensor& x) {
  SPECNET_CHECK(x.defined() && x.dim() == 3 && x.size(1) == in_channels_, "bhb::Encoder: input must be (B, ",
                in_channels_, ", L), got ",
                x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  Tensor h = x;
  for (auto& c : convs_) h = gelu(c->forward(h));   // (B, C_i, L_i)
  Tensor e = gelu(embed_->forward(h.flatten(1)));   // (B, C)
  return gelu(dense2_->forward(gelu(dense1_->forward(e)))) + e;  // skip connection: context (B, C)
}

Decoder::Decoder(const NetworkConfig& cfg, Rng& rng) : bins_(cfg.bins) {
  SPECNET_CHECK(cfg.params > 0 && cfg.bins > 0 && cfg.gru_layers > 0 && cfg.gru_hidden > 0,
                "bhb::Decoder: need params, bins, gru_layers, gru_hidden > 0");
  std::vector<std::int64_t> widths = {cfg.params};
  for (auto h : cfg.decoder_hidden) widths.push_back(h);
  widths.push_back(cfg.bins);  // c0
  widths.push_back(cfg.bins);  // c1
  auto dense = register_module("dense", std::make_shared<nn::Sequential>());
  for (std::size_t i = 0; i + 1 < widths.size(); ++i) {
    dense_.push_back(std::make_shared<nn::Linear>(widths[i], widths[i + 1], rng));
    dense->push_back(dense_.back());
    drop_.push_back(std::make_shared<nn::Dropout>(cfg.decoder_dropout, cfg.dropout_seed, i));
    register_module("dropout" + std::to_string(i), drop_.back());
  }
  gru_ = register_module("gru", std::make_shared<nn::GRU>(1, cfg.gru_hidden, rng, cfg.gru_layers, true));
  out_ = register_module("out", std::make_shared<nn::Linear>(cfg.bins, cfg.bins, rng));
}

Tensor Decoder::forward(const Tensor& theta) {
  SPECNET_CHECK(theta.defined() && theta.dim() == 2, "bhb::Decoder: input must be (B, D), got ",
                theta.defined() ? shape_str(theta.shape()) : std::string("undefined"));
  Tensor h = theta, c0;
  for (std::size_t i = 0; i < dense_.size(); ++i) {
    h = drop_[i]->forward(gelu(dense_[i]->forward(h)));
    if (i + 2 == dense_.size()) c0 = h;  // (B, L)
  }
  h = h + c0;                                                    // c0 + c1: (B, L)
  Tensor seq = gru_->forward(h.unsqueeze(2));                    // (B, L, 2 H)
  Tensor avg = mean(seq, {2});                                   // directions (and hidden units) averaged: (B, L)
  return out_->forward(gelu(avg));                               // (B, L)
}

Network::Network(const NetworkConfig& cfg, Rng& rng) : config(cfg) {
  config.flow.features = cfg.params;
  config.flow.context_features = cfg.context;
  encoder = register_module("encoder", std::make_shared<Encoder>(config, rng));
  flow = register_module("flow", std::make_shared<nn::SplineFlow>(config.flow, rng));
  decoder = register_module("decoder", std::make_shared<Decoder>(config, rng));
}

namespace {
void check_batch(const Network& net, const Tensor& x, const Tensor& theta) {
  SPECNET_CHECK(x.defined() && x.dim() == 3 && x.size(1) == net.config.in_channels && x.size(2) == net.config.bins,
                "bhb: spectra must be (B, ", net.config.in_channels, ", ", net.config.bins, "), got ",
                x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  SPECNET_CHECK(theta.defined() && theta.dim() == 2 && theta.size(0) == x.size(0) && theta.size(1) == net.config.params,
                "bhb: parameters must be (", x.size(0), ", ", net.config.params, "), got ",
                theta.defined() ? shape_str(theta.shape()) : std::string("undefined"));
}

Tensor reconstruction_nll(const Tensor& recon, const Tensor& x) {
  Tensor target = x.slice(1, 0, 1).squeeze(1), sigma = x.slice(1, 1, 2).squeeze(1);  // (B, L)
  return gaussian_nll_loss(recon, target, sigma * sigma);
}
}  // namespace

Tensor decoder_loss(Network& net, const Tensor& x, const Tensor& theta) {
  check_batch(net, x, theta);
  return reconstruction_nll(net.decoder->forward(theta), x);
}

Losses autoencoder_losses(Network& net, const Tensor& x, const Tensor& theta, Rng& rng, const LossWeights& w) {
  check_batch(net, x, theta);
  Losses l;
  Tensor context = net.encoder->forward(x);                                  // (B, C)
  l.flow = -mean(net.flow->log_prob(theta, context));
  Tensor head = l.flow * w.flow;
  // The reparameterised draw inverts every autoregressive transform, one MADE pass per feature: about four fifths of
  // the flow's work in a step. It is made only when a term uses it; with both of those weights at 0 the objective is
  // the flow NLL alone (neural posterior estimation) and the step is several times cheaper.
  if (w.latent == 0 && w.reconstruction == 0) {
    l.total = head;
    return l;
  }
  Tensor draw = net.flow->rsample(1, context, rng).samples.squeeze(1);       // (B, D), reparameterised
  l.latent = mse_loss(draw, theta);
  // A zero weight skips the frozen decoder: its GRU backward was ~20% of a stage-2 step for a term that adds exact
  // zeros to every gradient (only the summation order of the gradient buffers changes, tests/test_bhb_network.cpp).
  // Otherwise the sum is (reconstruction + flow) + latent, as it always was.
  if (w.reconstruction != 0) {
    l.reconstruction = reconstruction_nll(net.decoder->forward(draw), x);
    head = l.reconstruction * w.reconstruction + head;
  }
  l.total = head + l.latent * w.latent;
  return l;
}

}  // namespace specnet::bhb
