// bhb::Network (paper 002's flow-autoencoder): section-B shapes and state_dict names, the three losses, stage
// freezing in train_stage, and a small end-to-end training that recovers a 5-parameter toy posterior (PCC > 0.9).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "bhb_test_util.h"
#include "harness.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/train.h"
#include "specnet/context.h"
#include "specnet/ops.h"

using namespace specnet;

TEST_CASE("bhb Network: section-B shapes, parameter names and losses") {
  Rng rng(1);
  bhb::NetworkConfig cfg;
  bhb::Network net(cfg, rng);
  CHECK(net.encoder->flat_features == 832);  // 32 channels x 26 after k2s2/k3 x 3
  std::map<std::string, Shape> names;
  for (auto& [k, v] : net.state_dict()) names[k] = v.shape();
  CHECK(names.at("encoder.convs.0.weight") == Shape{16, 2, 2});
  CHECK(names.at("encoder.convs.5.weight") == Shape{32, 32, 3});
  CHECK(names.at("encoder.embed.weight") == Shape{120, 832});
  CHECK(names.at("flow.transforms.9.final_layer.weight") == Shape{5 * 23, 120});
  CHECK(names.at("flow.transforms.0.context_layer.weight") == Shape{120, 120});
  CHECK(names.at("decoder.dense.3.weight") == Shape{240, 240});
  CHECK(names.at("decoder.gru.weight_ih_l1_reverse") == Shape{3, 2});
  CHECK(names.at("decoder.out.weight") == Shape{240, 240});
  Tensor x = test::random_input({3, 2, 240}, 2, true, DType::f32);
  Tensor theta = test::random_input({3, 5}, 3, false, DType::f32);
  CHECK(net.encoder->forward(x).shape() == Shape{3, 120});
  CHECK(net.decoder->forward(theta).shape() == Shape{3, 240});
  Rng r(4);
  bhb::Losses l = bhb::autoencoder_losses(net, x, theta, r);
  CHECK(l.total.dim() == 0);
  CHECK(std::isfinite(l.total.item()));
  CHECK(l.total.item() == doctest::Approx(l.reconstruction.item() + l.flow.item() + l.latent.item()).epsilon(1e-5));
  CHECK_THROWS_AS(net.encoder->forward(test::random_input({3, 1, 240}, 2, true, DType::f32)), Error);
  CHECK_THROWS_AS(bhb::decoder_loss(net, x, test::random_input({2, 5}, 3, false, DType::f32)), Error);
  CHECK_THROWS_AS(bhb::autoencoder_losses(net, x, test::random_input({3, 4}, 3, false, DType::f32), r), Error);
  bhb::NetworkConfig tiny = cfg;
  tiny.bins = 8;
  CHECK_THROWS_AS(bhb::Network(tiny, rng), Error);
}

namespace {
using Grads = std::vector<std::pair<std::string, std::vector<double>>>;

// Gradients of every parameter after objective(losses).backward(), for one batch and one draw stream.
template <typename Objective>
Grads loss_grads(bhb::Network& net, const Tensor& x, const Tensor& theta, const bhb::LossWeights& w, Objective obj) {
  for (auto& [k, p] : net.named_parameters()) p.zero_grad();
  Rng r(9);
  obj(bhb::autoencoder_losses(net, x, theta, r, w)).backward();
  Grads out;
  for (auto& [k, p] : net.named_parameters())
    out.emplace_back(k, p.grad().defined() ? p.grad().to_vector() : std::vector<double>{});
  return out;
}

// A skipped term must leave the gradients of the old formula, which computed it and weighted it by 0 (exact zeros),
// up to the summation order of the gradient buffers; parameters only the skipped terms reach get nothing.
void check_same_grads(const Grads& full, const Grads& skipped, const std::string& untouched_prefix) {
  REQUIRE(full.size() == skipped.size());
  int nonzero = 0;
  for (std::size_t i = 0; i < skipped.size(); ++i) {
    CAPTURE(skipped[i].first);
    const bool untouched = skipped[i].first.rfind(untouched_prefix, 0) == 0;
    for (double g : skipped[i].second) {
      if (untouched) CHECK(g == 0.0);
      nonzero += g != 0;
    }
    if (untouched) continue;
    REQUIRE(skipped[i].second.size() == full[i].second.size());
    double scale = 0, diff = 0;
    for (std::size_t j = 0; j < skipped[i].second.size(); ++j) {
      scale = std::max(scale, std::abs(full[i].second[j]));
      diff = std::max(diff, std::abs(skipped[i].second[j] - full[i].second[j]));
    }
    CHECK(diff <= 1e-5 * scale);  // measured <= 2e-7: only the summation order of the gradient buffers changes
  }
  CHECK(nonzero > 1000);
}
}  // namespace

TEST_CASE("bhb autoencoder_losses: zero weights skip the decoder and the flow draw, gradients unchanged") {
  Rng rng(5);
  bhb::NetworkConfig cfg;
  bhb::Network net(cfg, rng);
  Tensor x = test::random_input({4, 2, 240}, 6, true, DType::f32);
  Tensor theta = test::random_input({4, 5}, 7, false, DType::f32);
  bhb::LossWeights all, no_recon, npe;
  no_recon.reconstruction = 0;
  npe.reconstruction = npe.latent = 0;
  SUBCASE("reconstruction weight 0: the frozen decoder is not run") {
    const Grads full = loss_grads(net, x, theta, all, [](const bhb::Losses& l) {
      return l.reconstruction * 0.0 + l.flow * 1.0 + l.latent * 1.0;
    });
    const Grads skipped = loss_grads(net, x, theta, no_recon, [](const bhb::Losses& l) {
      CHECK(!l.reconstruction.defined());
      CHECK(l.total.item() == (l.flow + l.latent).item());
      return l.total;
    });
    check_same_grads(full, skipped, "decoder.");
  }
  SUBCASE("reconstruction and latent weights 0: no reparameterised draw, the flow NLL alone") {
    const Grads full = loss_grads(net, x, theta, all, [](const bhb::Losses& l) {
      return l.reconstruction * 0.0 + l.flow * 1.0 + l.latent * 0.0;
    });
    const Grads skipped = loss_grads(net, x, theta, npe, [](const bhb::Losses& l) {
      CHECK(!l.reconstruction.defined());
      CHECK(!l.latent.defined());
      CHECK(l.total.item() == l.flow.item());
      return l.total;
    });
    check_same_grads(full, skipped, "decoder.");
  }
  SUBCASE("a nonzero latent weight still draws") {
    Rng r(9);
    bhb::LossWeights latent_only = npe;
    latent_only.latent = 1;
    bhb::Losses l = bhb::autoencoder_losses(net, x, theta, r, latent_only);
    REQUIRE(l.latent.defined());
    CHECK(l.latent.item() > 0);
    CHECK(l.total.item() == doctest::Approx(l.flow.item() + l.latent.item()).epsilon(1e-6));
  }
}

namespace {
using test::toy_set;

bhb::NetworkConfig toy_config() { return test::toy_bhb_config(); }

std::map<std::string, std::vector<double>> snapshot(const nn::Module& m) {
  std::map<std::string, std::vector<double>> s;
  for (auto& [k, v] : m.state_dict()) s[k] = v.to_vector();
  return s;
}
}  // namespace

TEST_CASE("bhb train_stage: stage 1 trains only the decoder, stages 2-3 only encoder and flow") {
  const bhb::Dataset train = toy_set(64, 1), val = toy_set(16, 2);
  const bhb::Scaling sc = bhb::Scaling::fit(train);
  Rng rng(5);
  bhb::Network net(toy_config(), rng);
  for (int stage : {1, 2, 3}) {
    CAPTURE(stage);
    auto before = snapshot(net);
    bhb::TrainOptions o;
    o.stage = stage;
    o.max_epochs = 1;
    o.batch = 16;
    o.progress = false;
    bhb::train_stage(net, sc, train, val, o);
    auto after = snapshot(net);
    for (auto& [k, v] : before) {
      const bool is_decoder = k.rfind("decoder.", 0) == 0;
      if (k.find("weight") == std::string::npos) continue;
      CAPTURE(k);
      if (is_decoder == (stage == 1)) CHECK(v != after.at(k));
      else CHECK(v == after.at(k));
    }
  }
  // Checkpoints: the best epoch and OUT.last; load_network rebuilds the network from the metadata alone.
  bhb::TrainOptions o;
  o.stage = 2;
  o.max_epochs = 1;
  o.batch = 16;
  o.progress = false;
  o.checkpoint = "bhb_test_ckpt.safetensors";
  bhb::train_stage(net, sc, train, val, o);
  bhb::LoadedNetwork loaded = bhb::load_network(o.checkpoint);
  CHECK(loaded.stage == 2);
  CHECK(loaded.scaling.log_max == sc.log_max);
  CHECK(snapshot(*loaded.net) == snapshot(net));
  CHECK_NOTHROW(bhb::load_network(o.checkpoint + ".last"));
  std::remove(o.checkpoint.c_str());
  std::remove((o.checkpoint + ".last").c_str());
  CHECK_THROWS_AS(bhb::load_network(o.checkpoint), Error);
  bhb::TrainOptions bad;
  bad.stage = 4;
  CHECK_THROWS_AS(bhb::train_stage(net, sc, train, val, bad), Error);
  bad.stage = 1;
  bad.batch = 100;  // more than the 64 spectra
  CHECK_THROWS_AS(bhb::train_stage(net, sc, train, val, bad), Error);
  bad.batch = 16;
  bhb::Dataset unlabelled = val;
  unlabelled.params[3] = std::nan("");
  CHECK_THROWS_AS(bhb::train_stage(net, sc, train, unlabelled, bad), Error);
}

TEST_CASE("bhb end to end: a small flow-autoencoder learns a 5-parameter toy posterior (PCC > 0.9)") {
  const bhb::Dataset train = toy_set(500, 11), val = toy_set(150, 12);
  const bhb::Scaling sc = bhb::Scaling::fit(train);
  Rng rng(6);
  bhb::Network net(toy_config(), rng);
  bhb::TrainOptions o;
  o.batch = 25;
  o.progress = false;
  o.stage = 1;
  o.max_epochs = 3;
  bhb::train_stage(net, sc, train, val, o);
  o.stage = 2;
  o.max_epochs = 12;
  o.lr = 3e-3;
  // The flow and latent losses only: with a briefly trained decoder and 2% uncertainties the equal-weight Gaussian
  // NLL of the reconstruction is ~100x the flow loss and its gradient keeps the encoder from learning (PCC < 0.7).
  o.weights.reconstruction = 0;
  bhb::train_stage(net, sc, train, val, o);
  const bhb::Posterior post = bhb::sample_posterior(net, sc, val, 64, 3);
  for (int p = 0; p < 5; ++p) {
    std::vector<double> s, t;
    for (std::int64_t i = 0; i < post.N; ++i)
      for (std::int64_t j = 0; j < 8; ++j) {
        s.push_back(post.samples[(i * post.n + j) * 5 + p]);
        t.push_back(post.truth[i * 5 + p]);
      }
    CAPTURE(p);
    CHECK(bhb::pearson(s, t) > 0.9);
  }
}

TEST_CASE("bhb sample_posterior: unlabelled records get a NaN log q at the truth, the others theirs; draws unchanged") {
  const bhb::Dataset d = toy_set(12, 23);
  const bhb::Scaling sc = bhb::Scaling::fit(d);
  Rng rng(24);
  bhb::Network net(toy_config(), rng);
  const bhb::Posterior all = bhb::sample_posterior(net, sc, d, 16, 5);
  for (double v : all.truth_log_q) CHECK(std::isfinite(v));
  bhb::Dataset some = d;  // records 2 and 7 unlabelled, as real spectra are
  for (std::int64_t k = 0; k < bhb::kNumParams; ++k) some.params[2 * bhb::kNumParams + k] = std::nan("");
  some.params[7 * bhb::kNumParams + 1] = std::nan("");
  const bhb::Posterior mixed = bhb::sample_posterior(net, sc, some, 16, 5);
  CHECK(mixed.samples == all.samples);
  CHECK(mixed.log_q == all.log_q);
  for (std::int64_t i = 0; i < d.size(); ++i) {
    CAPTURE(i);
    if (i == 2 || i == 7)
      CHECK(std::isnan(mixed.truth_log_q[i]));
    else
      CHECK(mixed.truth_log_q[i] == all.truth_log_q[i]);
  }
  bhb::Dataset none = d;
  std::fill(none.params.begin(), none.params.end(), std::nan(""));
  const bhb::Posterior real = bhb::sample_posterior(net, sc, none, 16, 5);
  CHECK(real.samples == all.samples);
  for (double v : real.truth_log_q) CHECK(std::isnan(v));
}

TEST_CASE("bhb encode_all: batches encoded in parallel equal one thread and a direct forward") {
  const bhb::Dataset d = toy_set(300, 21);
  const bhb::Scaling sc = bhb::Scaling::fit(d);
  Rng rng(22);
  bhb::Network net(toy_config(), rng);
  set_num_threads(1);
  const auto one = bhb::encode_all(net, sc, d, 64);  // 5 batches, the last one ragged
  set_num_threads(2);
  const auto two = bhb::encode_all(net, sc, d, 64);
  set_num_threads(0);
  CHECK(one == two);
  CHECK(net.is_training());  // training mode restored
  // A spectrum's context does not depend on how many are encoded with it (the last batch is padded to the full
  // shape): the first 3 records alone give the first 3 contexts bit for bit, and so do records 256-299 (ragged).
  const auto three = bhb::encode_all(net, sc, d.slice(0, 3), 64);
  CHECK(std::equal(three.begin(), three.end(), one.begin()));
  const auto tail = bhb::encode_all(net, sc, d.slice(256, 300), 64);
  CHECK(std::equal(tail.begin(), tail.end(), one.begin() + 256 * net.config.context));
  NoGradGuard ng;
  net.eval();
  std::vector<float> x(d.size() * 2 * 40);
  sc.spectra(d, 0, d.size(), x.data(), nullptr);
  const auto ref = net.encoder->forward(Tensor::from_vector(x, {d.size(), 2, 40})).to_vector();
  REQUIRE(ref.size() == one.size());
  double worst = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) worst = std::max(worst, std::abs(ref[i] - one[i]));
  CHECK(worst < 1e-5);
}
