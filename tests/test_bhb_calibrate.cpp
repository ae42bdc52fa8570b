// bhb::fit_base_scale and `specnet bhb calibrate`: the maximum-likelihood base recovers the scale and degrees of
// freedom that truths were drawn with (from their noise alone, and end to end through a network whose truths are its
// own draws), the coverage objective, calibrated checkpoints (round trip, refused input) and the CLI.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "bhb_test_util.h"
#include "cli_test_util.h"
#include "harness.h"
#include "specnet/bhb/calibrate.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/train.h"
#include "specnet/io/checkpoint.h"
#include "specnet/io/safetensors.h"

using namespace specnet;

namespace {

// N truths seen from a base of scale s and df (0: normal) in D = 5: |z|^2 of s * eps * factor, and arbitrary log-dets.
bhb::TruthNoise drawn_noise(std::int64_t N, double s, double df, std::uint64_t seed) {
  bhb::TruthNoise t;
  t.D = 5;
  Rng rng(seed);
  for (std::int64_t i = 0; i < N; ++i) {
    double r2 = 0;
    for (int k = 0; k < 5; ++k) {
      const double e = rng.normal();
      r2 += e * e;
    }
    const double f = df > 0 ? nn::student_t_factor(rng, rng.reserve(nn::kStudentTBlocks), df) : 1.0;
    t.z_squared.push_back(r2 * s * s * f * f);
    t.logdet.push_back(rng.uniform(-3, 3));
  }
  return t;
}

}  // namespace

TEST_CASE("bhb calibrate: maximum-likelihood base from the truths' noise") {
  // Student t (s 1.6, nu 6), 20,000 truths.
  const bhb::TruthNoise t = drawn_noise(20000, 1.6, 6, 1);
  const bhb::BaseParams st = bhb::ml_base(t, bhb::BaseFamily::student_t);
  CHECK(st.scale == doctest::Approx(1.6).epsilon(0.03));
  CHECK(st.df == doctest::Approx(6).epsilon(0.2));
  // It is the optimum: any step in s or nu costs likelihood.
  const double best = bhb::mean_nll(t, st.scale, st.df);
  for (double fs : {0.99, 1.01})
    CHECK(bhb::mean_nll(t, st.scale * fs, st.df) > best);
  for (double fd : {0.9, 1.1})
    CHECK(bhb::mean_nll(t, st.scale, st.df * fd) > best);
  // The normal family on the same truths: s^2 = mean |z|^2 / D exactly, which for these is ~ s0^2 nu / (nu - 2).
  const bhb::BaseParams nm = bhb::ml_base(t, bhb::BaseFamily::normal);
  double mean_r2 = 0;
  for (double v : t.z_squared) mean_r2 += v;
  mean_r2 /= double(t.z_squared.size());
  CHECK(nm.df == 0);
  CHECK(nm.scale == doctest::Approx(std::sqrt(mean_r2 / 5)).epsilon(1e-12));
  CHECK(nm.scale == doctest::Approx(1.6 * std::sqrt(1.5)).epsilon(0.04));
  CHECK(best < bhb::mean_nll(t, nm.scale, 0) - 0.05);  // the t fits heavy tails far better
  // Normal truths (s 0.7): the t family ends at the normal, or at a t so wide it is the normal.
  const bhb::TruthNoise g = drawn_noise(20000, 0.7, 0, 2);
  const bhb::BaseParams gt = bhb::ml_base(g, bhb::BaseFamily::student_t);
  CHECK((gt.df == 0 || gt.df > 50));
  CHECK(gt.scale == doctest::Approx(0.7).epsilon(0.02));
  CHECK(bhb::mean_nll(g, gt.scale, gt.df) <= bhb::mean_nll(g, bhb::ml_base(g, bhb::BaseFamily::normal).scale) + 1e-9);
  // Bad input.
  CHECK_THROWS_AS(bhb::ml_base(bhb::TruthNoise{}, bhb::BaseFamily::normal), Error);
  CHECK_THROWS_WITH(bhb::mean_nll(t, -1, 0), doctest::Contains("base_scale"));
  CHECK_THROWS_WITH(bhb::parse_base_family("cauchy"), doctest::Contains("normal or t"));
  CHECK_THROWS_WITH(bhb::parse_calibration_objective("mse"), doctest::Contains("nll or coverage"));
}

TEST_CASE("bhb calibrate: a network whose truths are its own draws at a known base") {
  // Toy network (random weights), 600 toy spectra; each spectrum's truth is one draw of the flow with base
  // (1.5, nu 5), so that base is the calibrated one and the standard normal is far too narrow.
  Rng rng(5);
  bhb::Network net(test::toy_bhb_config(), rng);
  bhb::Dataset d = test::toy_set(600, 6);
  const bhb::Scaling scaling = bhb::Scaling::fit(d);
  {
    const std::vector<float> ctx = bhb::encode_all(net, scaling, d);
    bhb::FastFlowSampler fast(*net.flow, bhb::FastFlowSampler::Precision::f32);
    fast.set_base(1.5, 5);
    std::vector<float> th(d.size() * bhb::kNumParams);
    fast.sample(ctx.data(), d.size(), 1, 17, th.data());
    for (std::size_t k = 0; k < th.size(); ++k)
      d.params[k] = scaling.to_physical(static_cast<std::int64_t>(k % bhb::kNumParams), th[k]);
  }
  bhb::CalibrationOptions o;
  o.samples = 128;
  o.precision = bhb::FastFlowSampler::Precision::f32;
  const bhb::BaseScaleFit r = bhb::fit_base_scale(net, scaling, d, o);
  CHECK(r.before.scale == 1);
  CHECK(r.before.df == 0);
  CHECK(r.after.scale == doctest::Approx(1.5).epsilon(0.1));
  CHECK(r.after.df > 3.5);  // 5.14 measured; nu is the loosest-pinned parameter at 600 spectra
  CHECK(r.after.df < 8);
  CHECK(r.nll < r.nll_before - 0.5);
  CHECK(r.deviation_before > 0.15);  // truths fall outside the narrow regions
  CHECK(r.deviation < 0.06);         // 600 spectra: ~0.02 sampling error per level
  CHECK(r.levels == bhb::credible_levels());
  CHECK(r.coverage.size() == r.levels.size());
  CHECK(net.flow->options.base_scale == 1);  // the network is left as it was
  // The coverage objective keeps nu and scans s: its deviation is the smallest of its scan, no worse than nll's.
  o.objective = bhb::CalibrationObjective::coverage;
  const bhb::BaseScaleFit c = bhb::fit_base_scale(net, scaling, d, o);
  CHECK(c.after.df == doctest::Approx(r.after.df));
  REQUIRE(c.scan.size() > 30);
  CHECK(std::is_sorted(c.scan.begin(), c.scan.end()));
  double best = 1;
  for (const auto& [s, dev] : c.scan) best = std::min(best, dev);
  CHECK(c.deviation == doctest::Approx(best));
  CHECK(c.deviation <= r.deviation + 1e-12);
  CHECK(c.after.scale == doctest::Approx(1.5).epsilon(0.15));
  // The fitted base applied: the report's density pass and sampler now use it.
  bhb::set_base(net, c.after);
  CHECK(net.config.flow.base_df == c.after.df);
  const bhb::Posterior post = bhb::sample_posterior(net, scaling, d, 128, 0, bhb::FastFlowSampler::Precision::f32);
  const auto cov = bhb::coverage(bhb::hpd_levels(post.log_q, post.truth_log_q, post.N, post.n), bhb::credible_levels());
  CHECK(bhb::coverage_deviation(cov, bhb::credible_levels()) == doctest::Approx(c.deviation));
  // Bad input: too few draws, a bad scan range, unlabelled spectra.
  o.samples = 8;
  CHECK_THROWS_WITH(bhb::fit_base_scale(net, scaling, d, o), doctest::Contains("16 draws"));
  o.samples = 64;
  o.min_scale = 2, o.max_scale = 1;
  CHECK_THROWS_WITH(bhb::fit_base_scale(net, scaling, d, o), doctest::Contains("min_scale"));
  o = {};
  d.params[7] = std::nan("");
  CHECK_THROWS_WITH(bhb::fit_base_scale(net, scaling, d, o), doctest::Contains("unlabelled"));
  CHECK_THROWS_WITH(bhb::set_base(net, {0, 0}), doctest::Contains("base_scale"));
}

TEST_CASE("bhb calibrate: calibrated checkpoints") {
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_bhb_calibrate";
  std::filesystem::create_directories(dir);
  const std::string in = (dir / "net.safetensors").string(), out = (dir / "cal.safetensors").string();
  Rng rng(8);
  bhb::Network net(test::toy_bhb_config(), rng);
  const bhb::Scaling scaling = bhb::Scaling::fit(test::toy_set(50, 9));
  CheckpointInfo info;
  info.epoch = 12;
  info.extra = bhb::network_metadata(net.config, scaling, 2);
  save_checkpoint(in, net, nullptr, nullptr, info);
  CHECK(bhb::load_network(in).net->flow->options.base_df == 0);  // as trained
  bhb::write_calibrated_checkpoint(in, out, {0.95, 11.5}, "by the test");
  const bhb::LoadedNetwork l = bhb::load_network(out);
  CHECK(l.net->flow->options.base_scale == 0.95);  // exact: the metadata text round-trips doubles
  CHECK(l.net->flow->options.base_df == 11.5);
  CHECK(l.net->config.flow.base_df == 11.5);
  CHECK(l.epoch == 12);
  CHECK(l.stage == 2);
  const SafeTensors a = load_safetensors(in), b = load_safetensors(out);
  REQUIRE(a.tensors.size() == b.tensors.size());
  for (std::size_t i = 0; i < a.tensors.size(); ++i) {
    CHECK(a.tensors[i].first == b.tensors[i].first);
    CHECK(a.tensors[i].second.to_vector() == b.tensors[i].second.to_vector());
  }
  for (const auto& [k, v] : a.metadata) CHECK(b.metadata.at(k) == v);
  CHECK(b.metadata.at("user.calibration") == "by the test");
  // A checkpoint written from the calibrated network keeps its base.
  const std::string again = (dir / "again.safetensors").string();
  info.extra = bhb::network_metadata(l.net->config, scaling, 2);
  save_checkpoint(again, *l.net, nullptr, nullptr, info);
  CHECK(bhb::load_network(again).net->flow->options.base_df == 11.5);
  // Refused: a bad base, a file that is not a network, bad base metadata.
  CHECK_THROWS_WITH(bhb::write_calibrated_checkpoint(in, out, {1, -3}, ""), doctest::Contains("base_df"));
  const std::string other = (dir / "other.safetensors").string();
  save_safetensors(other, {{"w", Tensor::zeros({2})}});
  CHECK_THROWS_WITH(bhb::write_calibrated_checkpoint(other, out, {1, 0}, ""), doctest::Contains("not a bhb network"));
  SafeTensors bad = load_safetensors(in);
  bad.metadata["user.net.flow_base_scale"] = "-0.5";
  save_safetensors(again, bad.tensors, bad.metadata);
  CHECK_THROWS_WITH(bhb::load_network(again), doctest::Contains("base_scale"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: bhb calibrate") {
  SPECNET_SKIP_WITHOUT_CLI();
  using test::run_cli;
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_bhb_calibrate_cli";
  std::filesystem::create_directories(dir);
  const std::string set = (dir / "set.bhb").string(), s1 = (dir / "s1.safetensors").string(),
                    s2 = (dir / "s2.safetensors").string(), cal = (dir / "cal.safetensors").string();
  auto [rc, out] = run_cli("dataset bhb --count 40 --seed 3 --quiet --out " + set);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --batch 12 --out " + s1);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 2 --init " + s1 + " --epochs 1 --batch 12 --out " + s2);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb calibrate --model " + s2 + " --data " + set + " --samples 64 --out " + cal +
                              " --out-dir " + dir.string());
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("base t, objective nll, 64 draws per spectrum") != std::string::npos);
  CHECK(out.find("| before | 1.0000 | normal |") != std::string::npos);
  CHECK(out.find("| **after** |") != std::string::npos);
  CHECK(out.find("calibrated checkpoint: " + cal) != std::string::npos);
  CHECK(std::filesystem::exists(dir / "calibration.md"));
  CHECK(std::filesystem::exists(dir / "calibration.svg"));
  std::tie(rc, out) = run_cli("bhb report --model " + cal + " --data " + set + " --count 20 --samples 64 --pgstat-count 0 "
                              "--corner 0 --out-dir " + dir.string());
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("(calibrated)") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb calibrate --model " + s2 + " --data " + set + " --samples 64 --base normal "
                              "--objective coverage");
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("| before | 1.0000 | normal |") != std::string::npos);
  CHECK(out.find("scan (base scale: largest deviation):") != std::string::npos);
  // Training from a calibrated checkpoint starts again from the standard normal.
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 3 --init " + cal + " --epochs 1 --batch 12 --out " +
                              (dir / "s3.safetensors").string());
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("--init has the flow base scale") != std::string::npos);
  CHECK(bhb::load_network((dir / "s3.safetensors").string()).net->flow->options.base_df == 0);
  // Bad commands.
  std::tie(rc, out) = run_cli("bhb calibrate --model " + s2 + " --data " + set + " --base cauchy");
  CHECK(rc != 0);
  CHECK(out.find("normal or t") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb calibrate --model " + s2 + " --data " + set + " --samples 4");
  CHECK(rc != 0);
  CHECK(out.find("16 draws") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb calibrate --model " + set + " --data " + set);
  CHECK(rc != 0);
  std::tie(rc, out) = run_cli("bhb calibrate --data " + set);
  CHECK(rc != 0);
  CHECK(out.find("--model and --data are required") != std::string::npos);
  std::filesystem::remove_all(dir);
}
