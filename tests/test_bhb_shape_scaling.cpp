// The `shape` input scaling of the BHB network (level apart from shape, 3 input channels): the channels' definitions,
// invariance of the shape to the brightness, metadata round trips, and a network and training run that take it.
#include <cmath>
#include <cstdio>

#include "bhb_test_util.h"
#include "harness.h"
#include "specnet/bhb/train.h"

using namespace specnet;

TEST_CASE("bhb shape scaling: channels, brightness invariance, empty bins, metadata") {
  bhb::Dataset d = test::toy_set(50, 3);
  const std::int64_t L = d.header.bins;
  d.rate[7] = -0.25f;  // a background-dominated bin of spectrum 0
  const bhb::Scaling sc = bhb::Scaling::fit(d, bhb::InputScaling::shape);
  REQUIRE(sc.channels() == 3);
  CHECK(bhb::Scaling::fit(d).channels() == 2);
  std::vector<float> x(d.size() * 3 * L);  // (N, 3, L)
  sc.spectra(d, 0, d.size(), x.data(), nullptr);
  double level_sum = 0, level_sq = 0;
  for (std::int64_t i = 0; i < d.size(); ++i) {
    const float* xi = &x[i * 3 * L];
    double shape_mean = 0;
    for (std::int64_t l = 0; l < L; ++l) {
      shape_mean += xi[l];
      CHECK(xi[2 * L + l] == xi[2 * L]);  // the level is constant along the bins
      CHECK(xi[L + l] > 0);
    }
    CHECK(std::abs(shape_mean / L) < 1e-5);  // the level is the mean log rate: the shape channel averages to 0
    level_sum += xi[2 * L];
    level_sq += double(xi[2 * L]) * xi[2 * L];
  }
  CHECK(level_sum / d.size() == doctest::Approx(0).scale(1));        // z-scored over the set
  CHECK(level_sq / d.size() == doctest::Approx(1).epsilon(1e-4));
  // The negative rate sits at its own uncertainty: shape = log10(sigma) - level, uncertainty step log10(2).
  CHECK(x[L + 7] == doctest::Approx(std::log10(2.0) / bhb::Scaling::kShapeDecades).epsilon(1e-6));
  double level0 = 0;
  for (std::int64_t l = 0; l < L; ++l) level0 += std::log10(std::max<double>(d.rate[l], d.sigma[l]));
  level0 /= L;
  CHECK(x[7] == doctest::Approx((std::log10(double(d.sigma[7])) - level0) / bhb::Scaling::kShapeDecades).epsilon(1e-5));

  // A spectrum 1000 times brighter (rate and uncertainty) keeps channels 0 and 1 and moves channel 2 by 3 / std.
  std::vector<float> rate(d.rate.begin() + L, d.rate.begin() + 2 * L), sigma(d.sigma.begin() + L, d.sigma.begin() + 2 * L);
  std::vector<float> a(3 * L), b(3 * L);
  sc.scale_row(L, rate.data(), sigma.data(), nullptr, a.data(), nullptr);
  for (auto& v : rate) v *= 1000;
  for (auto& v : sigma) v *= 1000;
  sc.scale_row(L, rate.data(), sigma.data(), nullptr, b.data(), nullptr);
  for (std::int64_t l = 0; l < 2 * L; ++l) CHECK(b[l] == doctest::Approx(a[l]).scale(1).epsilon(1e-5));
  CHECK(b[2 * L] - a[2 * L] == doctest::Approx(3.0 / sc.level_std).epsilon(1e-4));

  // Metadata: the mode and the level statistics survive; metadata without a mode (older checkpoints) is the paper's.
  const bhb::Scaling back = bhb::Scaling::from_strings(sc.to_strings());
  CHECK(back.mode == bhb::InputScaling::shape);
  CHECK(back.level_mean == sc.level_mean);
  CHECK(back.level_std == sc.level_std);
  auto old = bhb::Scaling::fit(d).to_strings();
  old.erase("scaling.mode");
  CHECK(bhb::Scaling::from_strings(old).mode == bhb::InputScaling::paper);
  auto bad = sc.to_strings();
  bad["scaling.mode"] = "loudness";
  CHECK_THROWS_WITH_AS(bhb::Scaling::from_strings(bad), doctest::Contains("unknown input scaling 'loudness'"), Error);
  bad = sc.to_strings();
  bad.erase("scaling.level_std");
  CHECK_THROWS_AS(bhb::Scaling::from_strings(bad), Error);
  CHECK_THROWS_AS(bhb::parse_input_scaling("Shape"), Error);
}

TEST_CASE("bhb shape scaling: a 3-channel network trains, saves, reloads; mismatched channels are errors") {
  const bhb::Dataset train = test::toy_set(64, 1), val = test::toy_set(16, 2);
  const bhb::Scaling sc = bhb::Scaling::fit(train, bhb::InputScaling::shape);
  bhb::NetworkConfig cfg = test::toy_bhb_config();
  cfg.in_channels = sc.channels();
  Rng rng(5);
  bhb::Network net(cfg, rng);
  bool found = false;
  for (const auto& [k, t] : net.state_dict())
    if (k == "encoder.convs.0.weight") {
      found = true;
      CHECK(t.size(1) == 3);  // (out, in, kernel)
    }
  CHECK(found);

  bhb::TrainOptions o;
  o.stage = 2;
  o.max_epochs = 2;
  o.batch = 16;
  o.progress = false;
  o.weights.reconstruction = o.weights.latent = 0;
  const std::string path = "test_bhb_shape.safetensors";
  o.checkpoint = path;
  const bhb::TrainResult r = bhb::train_stage(net, sc, train, val, o);
  CHECK(std::isfinite(r.best_val));
  const bhb::LoadedNetwork l = bhb::load_network(path);
  CHECK(l.net->config.in_channels == 3);
  CHECK(l.scaling.mode == bhb::InputScaling::shape);
  CHECK(l.scaling.level_std == sc.level_std);
  const auto ctx = bhb::encode_all(*l.net, l.scaling, val);
  CHECK(ctx.size() == std::size_t(val.size() * cfg.context));
  CHECK(bhb::evaluate_stage(*l.net, l.scaling, val, 2, 16, 0, o.weights) == doctest::Approx(r.best_val).epsilon(1e-6));

  // The paper's 2-channel scaling with this network, and 2-channel batches, are clear errors.
  o.checkpoint.clear();
  CHECK_THROWS_WITH_AS(bhb::train_stage(net, bhb::Scaling::fit(train), train, val, o),
                       doctest::Contains("paper input scaling gives 2 channels, the network takes 3"), Error);
  CHECK_THROWS_WITH_AS(net.encoder->forward(Tensor::zeros({4, 2, 40})), doctest::Contains("(B, 3, L)"), Error);
  cfg.in_channels = 1;
  CHECK_THROWS_AS(bhb::Network(cfg, rng), Error);
  std::remove(path.c_str());
  std::remove((path + ".last").c_str());
}
