// IC-search CAE: residual conv encoder, dense bottleneck, transposed-conv decoder (iccae reference code).
#include "specnet/nn/ic_cae.h"

#include "specnet/nn/activation.h"
#include "specnet/nn/unflatten.h"
#include "specnet/ops.h"

namespace specnet::nn {
namespace {
// Encoder and decoder are plain named containers ("layers", "fc1", ...) whose forward is written out.
class Encoder : public Module {
 public:
  Encoder(const IcCaeConfig& c, Rng& rng) {
    layers = register_module("layers", std::make_shared<Sequential>());
    layers->push_back(std::make_shared<Conv1d>(1, c.channels[0], 3, rng, Conv1dOptions{2, 1}));
    layers->push_back(std::make_shared<BatchNorm1d>(c.channels[0]));
    for (std::size_t i = 0; i + 1 < c.channels.size(); ++i)
      layers->push_back(std::make_shared<BasicBlock>(c.channels[i], c.channels[i + 1], 2, false, rng));
    std::int64_t length = c.n_bins;
    for (std::size_t i = 0; i < c.channels.size(); ++i) length = (length + 1) / 2;  // ceil(L/2) per stride-2 conv
    const std::int64_t flat = length * c.channels.back();
    auto dense = [&](const char* name, std::int64_t in, std::int64_t out) {
      auto s = register_module(name, std::make_shared<Sequential>());
      s->push_back(std::make_shared<Linear>(in, out, rng));
      s->push_back(std::make_shared<GELU>());
      return s;
    };
    fc1 = dense("fc1", flat, c.hidden[0]);
    fc2 = dense("fc2", c.hidden[0], c.hidden[1]);
    fc3 = dense("fc3", c.hidden[1], c.latent);
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = layers->forward(x).flatten(1);  // (B, C_last * L_last), channel-major
    return fc3->forward(fc2->forward(fc1->forward(h)));
  }
  std::string type_name() const override { return "Encoder"; }
  std::shared_ptr<Sequential> layers, fc1, fc2, fc3;
};

class Decoder : public Module {
 public:
  Decoder(const IcCaeConfig& c, Rng& rng) {
    std::vector<std::int64_t> up(c.channels.rbegin(), c.channels.rend());  // 128, 64, 32, 16, 4
    const std::int64_t blocks = static_cast<std::int64_t>(up.size()) - 1;
    const std::int64_t start = (c.n_bins + (1 << blocks) - 1) >> blocks;  // ceil(E / 2^blocks)
    fc1 = register_module("fc1", std::make_shared<Sequential>());
    fc1->push_back(std::make_shared<Linear>(c.latent, start * up[0], rng));
    fc1->push_back(std::make_shared<GELU>());
    layers = register_module("layers", std::make_shared<Sequential>());
    layers->push_back(std::make_shared<Unflatten>(1, Shape{up[0], start}));
    for (std::int64_t i = 0; i < blocks; ++i) {
      layers->push_back(std::make_shared<BasicBlock>(up[i], up[i + 1], 2, true, rng));
      layers->push_back(std::make_shared<BatchNorm1d>(up[i + 1]));
      layers->push_back(std::make_shared<GELU>());
    }
    layers->push_back(std::make_shared<ConvTranspose1d>(up.back(), 1, 1, rng));
  }
  Tensor forward(const Tensor& z) override { return layers->forward(fc1->forward(z)); }
  std::string type_name() const override { return "Decoder"; }
  std::shared_ptr<Sequential> fc1, layers;
};
}  // namespace

BasicBlock::BasicBlock(std::int64_t in_channels, std::int64_t channels, std::int64_t stride, bool decoder, Rng& rng) {
  auto conv = [&](std::int64_t c_in, std::int64_t c_out, std::int64_t k, std::int64_t s, std::int64_t pad,
                  std::int64_t out_pad) -> std::shared_ptr<Module> {
    Conv1dOptions o;
    o.stride = s;
    o.padding = pad;
    if (decoder) {
      o.output_padding = out_pad;
      return std::make_shared<ConvTranspose1d>(c_in, c_out, k, rng, o);
    }
    return std::make_shared<Conv1d>(c_in, c_out, k, rng, o);
  };
  conv1_ = register_module("conv1", conv(in_channels, channels, 3, stride, 1, stride > 1 ? 1 : 0));
  norm1_ = register_module("norm1", std::make_shared<BatchNorm1d>(channels));
  conv2_ = register_module("conv2", conv(channels, channels, 3, 1, 1, 0));
  norm2_ = register_module("norm2", std::make_shared<BatchNorm1d>(channels));
  if (in_channels != channels) {
    auto skip = std::make_shared<Sequential>();
    skip->push_back(conv(in_channels, channels, 1, stride, 0, stride > 1 ? 1 : 0));
    skip->push_back(std::make_shared<BatchNorm1d>(channels));
    resize_ = register_module("resize", skip);
  }
}

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor skip = resize_ ? resize_->forward(x) : x;
  Tensor y = norm1_->forward(conv1_->forward(x));
  y = norm2_->forward(conv2_->forward(gelu(y)));
  return gelu(add(y, skip));
}

IcCae::IcCae(const IcCaeConfig& cfg, Rng& rng) : cfg_(cfg) {
  SPECNET_CHECK(cfg.channels.size() >= 2 && cfg.hidden.size() == 2 && cfg.latent > 0 && cfg.n_bins > 0,
                "IcCae: needs >= 2 channel widths, 2 hidden widths and a positive latent size and n_bins");
  const std::int64_t blocks = static_cast<std::int64_t>(cfg.channels.size()) - 1;
  for (std::int64_t i = 0; i < blocks; ++i)
    SPECNET_CHECK(cfg.channels[i] != cfg.channels[i + 1], "IcCae: consecutive channel widths must differ (",
                  cfg.channels[i], " -> ", cfg.channels[i + 1], "): the reference block has an identity skip then, ",
                  "which cannot follow a stride-2 convolution");
  SPECNET_CHECK(cfg.n_bins % (std::int64_t(1) << blocks) == 0, "IcCae: n_bins ", cfg.n_bins,
                " must be a multiple of 2^", blocks, " so that the decoder returns the input length");
  encoder_ = register_module("encoder", std::make_shared<Encoder>(cfg, rng));
  decoder_ = register_module("decoder", std::make_shared<Decoder>(cfg, rng));
}

Tensor IcCae::encode(const Tensor& x) {
  SPECNET_CHECK(x.dim() == 3 && x.size(1) == 1 && x.size(2) == cfg_.n_bins, "IcCae: input must be (B, 1, ",
                cfg_.n_bins, "), got ", shape_str(x.shape()));
  return encoder_->forward(x);
}
Tensor IcCae::decode(const Tensor& z) { return decoder_->forward(z); }

IcCae::Output IcCae::run(const Tensor& x) {
  Tensor z = encode(x);
  return {decode(z), z};
}

Tensor ic_cae_loss(const IcCae::Output& out, const Tensor& x, const Tensor& label, double weight) {
  Tensor loss = mse_loss(out.reconstruction, x);
  if (weight == 0.0) return loss;
  check_same_shape("ic_cae_loss (label vs latent)", label, out.latent);
  const double batch = static_cast<double>(label.size(0));
  return add(loss, mul(sum(abs(sub(label, out.latent))), weight / batch));
}

}  // namespace specnet::nn
