// The residual stage (bhb/residual.h): Pearson residuals that are standard normal at the truth and grow away from it,
// a first estimate that does not depend on the set around a spectrum or the thread count, the second network's
// inputs and targets, the two-stage posterior's change of variables, the pairing check, and the CLI end to end.
#include <cmath>
#include <Eigen/Dense>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bhb_oracle_util.h"
#include "cli_test_util.h"
#include "harness.h"
#include "specnet/bhb/group_model.h"
#include "specnet/bhb/residual.h"
#include "specnet/context.h"

using namespace specnet;
using namespace specnet::test;

namespace {

// One record at chosen physical parameters (Poisson counts of the simulation there).
bhb::Dataset record_at(const bhb::Simulation& s, const std::array<double, bhb::kNumParams>& truth, std::uint64_t seed) {
  const std::vector<double> c = counts_at(s, truth, seed);
  const bhb::GroupedSpectrum g =
      bhb::group_spectrum(s.grouping, c.data(), s.background_counts.data(), s.bkg_ratio, s.fakeit.exposure_s, s.n_det);
  bhb::Dataset d;
  d.header.exposure_s = s.fakeit.exposure_s;
  d.header.n_det = s.n_det;
  d.index.push_back(-1);
  d.params.assign(truth.begin(), truth.end());
  d.counts.push_back(g.source_counts);
  d.rate = g.rate;
  d.sigma = g.sigma;
  return d;
}

// A first estimate at given unscaled points (identity scaling) with a unit covariance.
bhb::FirstEstimate estimate_at(const std::vector<std::array<double, bhb::kNumParams>>& u) {
  bhb::FirstEstimate e;
  e.N = static_cast<std::int64_t>(u.size());
  for (const auto& ui : u) {
    for (double v : ui) e.center.push_back(static_cast<float>(v));
    for (std::int64_t p = 0; p < bhb::kNumParams; ++p)
      for (std::int64_t q = 0; q < bhb::kNumParams; ++q) e.chol.push_back(p == q ? 1.0f : 0.0f);
  }
  return e;
}

std::array<double, bhb::kNumParams> unscaled(const std::array<double, bhb::kNumParams>& physical) {
  std::array<double, bhb::kNumParams> u{};
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) u[p] = bhb::kParamLog[p] ? std::log10(physical[p]) : physical[p];
  return u;
}

bhb::NetworkConfig small_config(std::int64_t in_channels) {
  bhb::NetworkConfig c;
  c.bins = 240;
  c.in_channels = in_channels;
  c.context = 16;
  c.conv_channels = {4, 4, 4, 4};
  c.decoder_hidden = {16};
  c.flow.transforms = 2;
  c.flow.hidden = {16, 16};
  c.flow.bins = 4;
  return c;
}

// The synthetic simulation's first records, their scaling (paper) and a small untrained first network.
struct Setup {
  bhb::Simulation sim = bhb::make_simulation(0, 7);
  bhb::Dataset data = records(sim, {0, 1, 2, 3, 4, 5});
  bhb::Scaling scaling = bhb::Scaling::fit(data);
  Rng rng{5, 0};
  bhb::Network first{small_config(2), rng};
};

}  // namespace

TEST_CASE("bhb residual stage: Pearson residuals are standard normal at the truth and grow away from it") {
  const bhb::Simulation s = coarse_simulation(1e3);
  const std::array<double, bhb::kNumParams> truth = {0.5, 2.2, 0.2, 0.8, 1e4};
  const bhb::Dataset d = record_at(s, truth, 3);
  REQUIRE(d.counts[0] > 1e5);
  const std::array<double, bhb::kNumParams> u0 = unscaled(truth);
  std::array<double, bhb::kNumParams> off = u0;
  off[1] += 0.05;  // Gamma
  const std::vector<float> r = bhb::center_residuals(s, identity_scaling(), d, estimate_at({u0}));
  REQUIRE(r.size() == 240u);
  double mean = 0, var = 0;
  for (float v : r) mean += v / 240.0;
  for (float v : r) var += (v - mean) * (v - mean) / 239.0;
  MESSAGE("residuals at the truth: mean ", mean, ", variance ", var);
  CHECK(std::fabs(mean) < 0.25);  // 3.9 sigma of a mean of 240 unit normals
  CHECK(var > 0.75);
  CHECK(var < 1.3);
  // Against the counts themselves: residual = (S - m) / sqrt(m) with S recovered from the stored rate.
  const std::vector<double> counts = counts_at(s, truth, 3);
  const bhb::GroupModel gm(s);
  bhb::GroupModel::Scratch sc = gm.make_scratch();
  REQUIRE(gm.evaluate(u0.data(), sc));
  for (std::int64_t g : {0, 57, 120, 239}) {
    double S = 0;
    for (std::int64_t c = s.grouping.first[g]; c < s.grouping.end[g]; ++c) S += counts[c];
    const double want = (S - sc.group_mean[g]) / std::sqrt(std::max(sc.group_mean[g], 1.0));
    CHECK(r[g] == doctest::Approx(want).epsilon(1e-4).scale(1.0));
  }
  double chi2_off = 0;
  for (float v : bhb::center_residuals(s, identity_scaling(), d, estimate_at({off}))) chi2_off += double(v) * v;
  MESSAGE("chi2 with Gamma off by 0.05: ", chi2_off);
  CHECK(chi2_off > 240 * 3.0);
  // A centre outside the prior box: zero residuals, counted.
  std::array<double, bhb::kNumParams> outside = u0;
  outside[1] = 99;
  std::int64_t failures = -1;
  const std::vector<float> z = bhb::center_residuals(s, identity_scaling(), d, estimate_at({outside}), &failures);
  CHECK(failures == 1);
  CHECK(std::all_of(z.begin(), z.end(), [](float v) { return v == 0.0f; }));
  // A set made with another exposure is refused.
  bhb::Dataset other = d;
  other.header.exposure_s = 2e3;
  CHECK_THROWS_WITH_AS(bhb::center_residuals(s, identity_scaling(), other, estimate_at({u0})),
                       doctest::Contains("exposure"), Error);
  CHECK_THROWS_WITH_AS(bhb::center_residuals(s, identity_scaling(), d, estimate_at({u0, u0})),
                       doctest::Contains("an estimate of 2 spectra for a set of 1"), Error);
}

TEST_CASE("bhb residual stage: the first estimate lies in the prior box and does not depend on the set or threads") {
  Setup t;
  const bhb::PriorBox box = bhb::prior_box(t.sim);
  const bhb::FirstEstimate all = bhb::first_estimate(t.first, t.scaling, t.data, box);
  REQUIRE(all.N == 6);
  for (std::int64_t i = 0; i < all.N; ++i) {
    for (std::int64_t p = 0; p < bhb::kNumParams; ++p) {
      const double u = double(all.center[i * 5 + p]) * t.scaling.stdev[p] + t.scaling.mean[p];
      CHECK(u >= box.lo[p]);
      CHECK(u <= box.hi[p]);
      CHECK(all.chol[(i * 5 + p) * 5 + p] >= bhb::kMinFirstWidth);
      for (std::int64_t q = p + 1; q < bhb::kNumParams; ++q) CHECK(all.chol[(i * 5 + p) * 5 + q] == 0.0f);
    }
    CHECK(std::isfinite(all.log_det(i)));
  }
  // R R^T is the covariance of the first network's draws from the same fixed noise: check it against draws of the
  // flow itself (1 + kFirstDraws draws, the first at the base's mode).
  {
    const std::vector<float> ctx = bhb::encode_all(t.first, t.scaling, t.data.slice(2, 3));
    bhb::FastFlowSampler fast(*t.first.flow);
    const int n = 1 + static_cast<int>(bhb::kFirstDraws), m = n - 1;
    std::vector<float> z(n * 5, 0.0f), d(n * 5);
    Rng rng(0x51deba5e, 0);
    for (std::size_t k = 5; k < z.size(); ++k) z[k] = static_cast<float>(rng.normal());
    fast.sample_from_noise(ctx.data(), 1, n, z.data(), d.data());
    Eigen::MatrixXd x(m, 5);
    for (int j = 0; j < m; ++j)
      for (int p = 0; p < 5; ++p) x(j, p) = d[(1 + j) * 5 + p];
    const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
    const Eigen::MatrixXd cov = centred.transpose() * centred / double(m - 1);
    Eigen::MatrixXd R(5, 5);
    for (int p = 0; p < 5; ++p)
      for (int q = 0; q < 5; ++q) R(p, q) = all.chol[(2 * 5 + p) * 5 + q];
    const Eigen::MatrixXd rr = R * R.transpose();
    for (int p = 0; p < 5; ++p)
      for (int q = 0; q < 5; ++q) CHECK(rr(p, q) == doctest::Approx(cov(p, q)).epsilon(1e-3).scale(1e-6));
  }
  const bhb::FirstEstimate one = bhb::first_estimate(t.first, t.scaling, t.data.slice(3, 4), box);
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) CHECK(one.center[p] == all.center[3 * 5 + p]);
  for (std::int64_t k = 0; k < 25; ++k) CHECK(one.chol[k] == all.chol[3 * 25 + k]);
  const int threads = num_threads();
  set_num_threads(1);
  const bhb::FirstEstimate serial = bhb::first_estimate(t.first, t.scaling, t.data, box);
  set_num_threads(threads);
  CHECK(serial.center == all.center);
  CHECK(serial.chol == all.chol);
}

TEST_CASE("bhb residual stage: the second network's inputs and targets") {
  Setup t;
  bhb::FirstEstimate e = bhb::first_estimate(t.first, t.scaling, t.data, bhb::prior_box(t.sim));
  const std::vector<float> r = bhb::center_residuals(t.sim, t.scaling, t.data, e);
  const bhb::ResidualInputs in(t.scaling, t.data, e, r);
  const std::int64_t K = in.channels(), L = 240, P = 5;
  REQUIRE(K == 2 + 1 + 2 * P + 10);
  const std::int64_t rows[2] = {4, 1};
  std::vector<float> x(2 * K * L), u(2 * P);
  in.make(rows, 2, x.data(), u.data());
  for (std::int64_t b = 0; b < 2; ++b) {
    const std::int64_t i = rows[b];
    std::vector<float> x1(2 * L), t1(P);
    t.scaling.spectra(t.data, i, 1, x1.data(), t1.data());
    const float* xb = &x[b * K * L];
    const float* R = &e.chol[i * P * P];
    for (std::int64_t l : {0, 100, 239}) {
      CHECK(xb[l] == x1[l]);
      CHECK(xb[L + l] == x1[L + l]);
      CHECK(xb[2 * L + l] == doctest::Approx(std::asinh(double(r[i * L + l])) / bhb::kResidualScale));
      for (std::int64_t p = 0; p < P; ++p) {
        CHECK(xb[(3 + p) * L + l] == e.center[i * P + p]);
        CHECK(xb[(3 + P + p) * L + l] == doctest::Approx(std::log10(double(R[p * P + p]))));
      }
      // Sigma_41 / ... : the last off-diagonal channel is R_43 / sqrt(Sigma_44).
      double var4 = 0;
      for (std::int64_t q = 0; q < P; ++q) var4 += double(R[4 * P + q]) * R[4 * P + q];
      CHECK(xb[(K - 1) * L + l] == doctest::Approx(R[4 * P + 3] / std::sqrt(var4)));
    }
    // R u = t - c
    for (std::int64_t p = 0; p < P; ++p) {
      double ru = 0;
      for (std::int64_t q = 0; q <= p; ++q) ru += double(R[p * P + q]) * u[b * P + q];
      CHECK(ru == doctest::Approx(double(t1[p]) - e.center[i * P + p]).epsilon(1e-5).scale(1e-6));
    }
  }
  const std::int64_t bad = 6;
  CHECK_THROWS_WITH_AS(in.make(&bad, 1, x.data(), u.data()), doctest::Contains("row 6 out of a set of 6"), Error);
  CHECK_THROWS_WITH_AS(bhb::ResidualInputs(t.scaling, t.data, e, std::vector<float>(10)),
                       doctest::Contains("residuals for a set of 6"), Error);
}

TEST_CASE("bhb residual stage: the two-stage posterior is c + R u with log q shifted by log det R") {
  Setup t;
  Rng rng2(9, 0);
  bhb::Network second(small_config(bhb::residual_channels(t.scaling)), rng2);
  const std::int64_t n = 16, N = t.data.size(), P = 5;
  const bhb::Posterior post = bhb::residual_posterior(t.first, second, t.scaling, t.sim, t.data, n, 3);
  REQUIRE(post.N == N);
  REQUIRE(post.samples.size() == std::size_t(N * n * P));
  // The same draws in u from the second network directly.
  const bhb::ResidualInputs in = bhb::residual_inputs(t.first, t.scaling, t.sim, t.data);
  const std::vector<float> ctx = bhb::encode_all(second, in.maker(), in.channels(), N, 240);
  bhb::FastFlowSampler fast(*second.flow);
  std::vector<float> u(N * n * P), lq(N * n);
  fast.sample(ctx.data(), N, n, 3, u.data(), lq.data());
  const bhb::FirstEstimate& e = in.estimate();
  for (std::int64_t i = 0; i < N; ++i) {
    const float* R = &e.chol[i * P * P];
    for (std::int64_t j = 0; j < n; j += 5) {
      for (std::int64_t p = 0; p < P; ++p) {
        double want = e.center[i * P + p];
        for (std::int64_t q = 0; q <= p; ++q) want += double(R[p * P + q]) * u[(i * n + j) * P + q];
        CHECK(post.samples[(i * n + j) * P + p] == doctest::Approx(want).epsilon(1e-6));
      }
      CHECK(post.log_q[i * n + j] == doctest::Approx(lq[i * n + j] - e.log_det(i)).epsilon(1e-6));
    }
    CHECK(std::isfinite(post.truth_log_q[i]));
    for (std::int64_t p = 0; p < P; ++p)
      CHECK(post.truth[i * P + p] == float(t.scaling.to_scaled(p, t.data.params[i * P + p])));
  }
  // The density at the truth agrees with the draws' density (same flow and change of variables): the truth's HPD
  // level is computed from both, so check one spectrum by evaluating a draw as if it were the truth.
  bhb::Dataset as_truth = t.data.slice(0, 1);
  for (std::int64_t p = 0; p < P; ++p)
    as_truth.params[p] = t.scaling.to_physical(p, post.samples[p]);  // draw 0 of spectrum 0
  const bhb::Posterior again = bhb::residual_posterior(t.first, second, t.scaling, t.sim, as_truth, 1, 3);
  CHECK(again.truth_log_q[0] == doctest::Approx(post.log_q[0]).epsilon(1e-3));
  // A second network with the wrong input width.
  Rng rng3(9, 0);
  bhb::Network wrong(small_config(2), rng3);
  CHECK_THROWS_WITH_AS(bhb::residual_posterior(t.first, wrong, t.scaling, t.sim, t.data, n, 3),
                       doctest::Contains("the second network takes 2 channels, the residual stage gives 23"), Error);
}

TEST_CASE("bhb residual stage: a chain's later estimate is the stage's draws mapped by c + R u") {
  Setup t;
  Rng rng2(9, 0), rng3(10, 0);
  bhb::Network second(small_config(bhb::residual_channels(t.scaling)), rng2);
  bhb::Network third(small_config(bhb::residual_channels(t.scaling)), rng3);
  const std::int64_t N = t.data.size(), P = 5;
  const bhb::PriorBox box = bhb::prior_box(t.sim);
  const bhb::ResidualInputs in1 = bhb::residual_inputs(t.first, t.scaling, t.sim, t.data);
  const bhb::FirstEstimate e2 = bhb::stage_estimate(second, in1, box);
  // The second network's fixed-noise draws in u, by hand.
  const std::vector<float> ctx = bhb::encode_all(second, in1.maker(), in1.channels(), N, 240);
  bhb::FastFlowSampler fast(*second.flow, bhb::kStagePrecision);
  const int n = 1 + static_cast<int>(bhb::kFirstDraws), m = n - 1;
  std::vector<float> z(n * P, 0.0f), d(N * n * P);
  Rng rng(0x51deba5e, 0);
  for (std::size_t k = P; k < z.size(); ++k) z[k] = static_cast<float>(rng.normal());
  std::vector<float> zz;
  for (std::int64_t i = 0; i < N; ++i) zz.insert(zz.end(), z.begin(), z.end());
  fast.sample_from_noise(ctx.data(), N, n, zz.data(), d.data());
  const bhb::FirstEstimate& e1 = in1.estimate();
  for (std::int64_t i = 0; i < N; ++i) {
    Eigen::MatrixXd R1(P, P), R2(P, P), x(m, P);
    for (int p = 0; p < P; ++p)
      for (int q = 0; q < P; ++q) R1(p, q) = e1.chol[(i * P + p) * P + q], R2(p, q) = e2.chol[(i * P + p) * P + q];
    for (int j = 0; j < m; ++j)
      for (int p = 0; p < P; ++p) x(j, p) = d[(i * n + 1 + j) * P + p];
    const Eigen::MatrixXd centred = x.rowwise() - x.colwise().mean();
    const Eigen::MatrixXd want = R1 * (centred.transpose() * centred / double(m - 1)) * R1.transpose();
    const Eigen::MatrixXd have = R2 * R2.transpose();
    for (int p = 0; p < P; ++p) {
      double mode = e1.center[i * P + p];
      for (int q = 0; q <= p; ++q) mode += R1(p, q) * d[(i * n) * P + q];
      const double u = double(e2.center[i * P + p]) * t.scaling.stdev[p] + t.scaling.mean[p];
      CHECK(u >= box.lo[p]);
      CHECK(u <= box.hi[p]);
      const double lo = (box.lo[p] - t.scaling.mean[p]) / t.scaling.stdev[p],
                   hi = (box.hi[p] - t.scaling.mean[p]) / t.scaling.stdev[p];
      CHECK(e2.center[i * P + p] == doctest::Approx(std::clamp(mode, lo, hi)).epsilon(1e-5));
      for (int q = 0; q < P; ++q)
        CHECK(have(p, q) == doctest::Approx(want(p, q) + (p == q ? 1e-12 : 0.0)).epsilon(1e-3).scale(1e-9));
    }
  }
  // The three-network chain's posterior is c2 + R2 u3, and the chain's inputs are those of e2.
  const bhb::ResidualInputs in2 = bhb::residual_inputs(bhb::Chain{&t.first, &second}, t.scaling, t.sim, t.data);
  CHECK(in2.estimate().center == e2.center);
  CHECK(in2.estimate().chol == e2.chol);
  const bhb::Posterior post = bhb::residual_posterior(bhb::Chain{&t.first, &second, &third}, t.scaling, t.sim, t.data, 4, 3);
  const std::vector<float> ctx3 = bhb::encode_all(third, in2.maker(), in2.channels(), N, 240);
  bhb::FastFlowSampler fast3(*third.flow);
  std::vector<float> u(N * 4 * P), lq(N * 4);
  fast3.sample(ctx3.data(), N, 4, 3, u.data(), lq.data());
  for (std::int64_t i = 0; i < N; ++i) {
    for (std::int64_t p = 0; p < P; ++p) {
      double want = e2.center[i * P + p];
      for (std::int64_t q = 0; q <= p; ++q) want += double(e2.chol[(i * P + p) * P + q]) * u[(i * 4) * P + q];
      CHECK(post.samples[(i * 4) * P + p] == doctest::Approx(want).epsilon(1e-6));
    }
    CHECK(post.log_q[i * 4] == doctest::Approx(lq[i * 4] - e2.log_det(i)).epsilon(1e-6));
  }
  const int threads = num_threads();
  set_num_threads(1);
  const bhb::Posterior serial = bhb::residual_posterior(bhb::Chain{&t.first, &second, &third}, t.scaling, t.sim, t.data, 4, 3);
  set_num_threads(threads);
  CHECK(serial.samples == post.samples);
  CHECK_THROWS_WITH_AS(bhb::residual_posterior(bhb::Chain{&t.first}, t.scaling, t.sim, t.data, 4, 3),
                       doctest::Contains("a chain of 1 networks"), Error);
}

TEST_CASE("bhb residual stage: a second network is only paired with the first network it was trained on") {
  Setup t;
  std::map<std::string, std::string> m = {{"residual.first", bhb::weights_digest(t.first)}};
  CHECK(bhb::is_residual_stage(m));
  CHECK_NOTHROW(bhb::check_residual_pair(t.first, m, "second.safetensors"));
  CHECK(bhb::weights_digest(t.first) == bhb::weights_digest(t.first));
  Rng rng2(6, 0);
  bhb::Network other(small_config(2), rng2);
  CHECK(bhb::weights_digest(other) != bhb::weights_digest(t.first));
  CHECK_THROWS_WITH_AS(bhb::check_residual_pair(other, m, "second.safetensors"),
                       doctest::Contains("was trained on the network with weights"), Error);
  CHECK_THROWS_WITH_AS(bhb::check_residual_pair(t.first, {}, "plain.safetensors"),
                       doctest::Contains("plain.safetensors is not a residual stage's checkpoint"), Error);
}

TEST_CASE("cli: bhb train --residual-of and bhb report --residual") {
  if (!std::filesystem::exists(kCli)) {
    MESSAGE("skipped: ", kCli, " not built");
    return;
  }
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_bhb_residual";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string set = (dir / "set.bhb").string(), s1 = (dir / "s1.safetensors").string(),
                    s2 = (dir / "s2.safetensors").string(), res = (dir / "res.safetensors").string();
  auto [rc, out] = run_cli("dataset bhb --count 40 --seed 3 --quiet --out " + set);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --batch 12 --conv-channels 4,4,4,4 "
                              "--context 16 --transforms 2 --flow-hidden 16,16 --out " + s1);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 2 --init " + s1 + " --epochs 1 --batch 12 --out " + s2);
  REQUIRE_MESSAGE(rc == 0, out);
  const std::string train = "bhb train --data " + set + " --stage 2 --residual-of " + s2 +
                            " --epochs 2 --batch 12 --recon-weight 0 --latent-weight 0 --base-df 5 --conv-channels 4,4,4,4 "
                            "--context 16 --transforms 2 --flow-hidden 16,16 --out " + res;
  std::tie(rc, out) = run_cli(train);
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("bhb residual stage: 36 spectra, network 1's estimate") != std::string::npos);
  CHECK(out.find("bhb train residual stage (network 2 of the chain): 36 training + 4 validation spectra") != std::string::npos);
  CHECK(out.find("stage 2 epoch   2/2") != std::string::npos);
  // Going on from the residual stage's checkpoint (its pairing is checked).
  std::tie(rc, out) = run_cli(train.substr(0, train.find(" --out ")) + " --init " + res + " --epochs 1 --out " +
                              (dir / "res2.safetensors").string());
  CHECK_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb report --model " + s2 + " --residual " + res + " --data " + set +
                              " --count 20 --samples 64 --pgstat-count 1 --fit-iterations 3 --corner 1 --mcmc-steps 10 "
                              "--out-dir " + dir.string());
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("residual stages `" + res + "`") != std::string::npos);
  CHECK(out.find("| Gamma |") != std::string::npos);
  CHECK(out.find("flow NLL on this set: mean -log q(truth | x) = ") != std::string::npos);
  const std::string draws = (dir / "draws.f32").string();
  std::tie(rc, out) = run_cli("bhb sample --model " + s2 + " --residual " + res + " --data " + set + " --count 10 --n 20 --out " + draws);
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("10 spectra x 20 draws of the chain's posterior") != std::string::npos);
  CHECK(std::filesystem::file_size(draws) == 10u * 20u * 5u * 4u);
  {  // the same draws on 1 and 2 threads
    auto read = [](const std::string& path) {
      std::ifstream f(path, std::ios::binary);
      return std::string(std::istreambuf_iterator<char>(f), {});
    };
    const std::string sample = "bhb sample --model " + s2 + " --residual " + res + " --data " + set +
                               " --count 10 --n 20 --precision f32 --out ";
    auto [c1, t1] = run_cli(sample + draws, "SPECNET_NUM_THREADS=1");
    REQUIRE_MESSAGE(c1 == 0, t1);
    const std::string one = read(draws);
    auto [c2, t2] = run_cli(sample + draws, "SPECNET_NUM_THREADS=2");
    REQUIRE_MESSAGE(c2 == 0, t2);
    CHECK(read(draws) == one);
  }
  // Calibrating the residual stage's base writes a residual-stage checkpoint that the report takes.
  const std::string cal = (dir / "res_cal.safetensors").string();
  std::tie(rc, out) = run_cli("bhb calibrate --model " + s2 + " --residual " + res + " --data " + set +
                              " --count 30 --samples 16 --out " + cal);
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("residual stages `" + res + "` (the last calibrated): -log q in the first network's scaled space") != std::string::npos);
  CHECK(out.find("| **after** |") != std::string::npos);
  {  // its NLL before calibration is the report's flow NLL of the same residual stage on the same spectra
    const std::size_t b = out.find("| before | ");
    REQUIRE(b != std::string::npos);
    std::stringstream row(out.substr(b + 2));
    std::string cell[4];
    for (auto& c : cell) std::getline(row, c, '|');
    const double calibrate_nll = std::stod(cell[3]);
    auto [c2, rep] = run_cli("bhb report --model " + s2 + " --residual " + res + " --data " + set + " --count 30 "
                             "--samples 64 --pgstat-count 1 --fit-iterations 3 --corner 0 --precision f32 --out-dir " + dir.string());
    REQUIRE_MESSAGE(c2 == 0, rep);
    const std::string key = "mean -log q(truth | x) = ";
    const std::size_t k = rep.find(key);
    REQUIRE(k != std::string::npos);
    CHECK(std::stod(rep.substr(k + key.size())) == doctest::Approx(calibrate_nll).epsilon(1e-3));
  }
  std::tie(rc, out) = run_cli("bhb report --model " + s2 + " --residual " + cal + " --data " + set +
                              " --count 10 --samples 64 --pgstat-count 1 --fit-iterations 3 --corner 0 --out-dir " + dir.string());
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("(calibrated)): the draws are the chain's posterior") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb ceiling --data " + set + " --count 4 --draws 0 --model " + s2 + " --residual " + res +
                              " --out-dir " + dir.string());
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("with the residual stages `" + res + "`") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb ceiling --data " + set + " --count 4 --draws 0 --residual " + res);
  CHECK(rc != 0);
  CHECK(out.find("--residual needs --model") != std::string::npos);
  {  // A third network on the chain (s2, res): trained, sampled, reported and calibrated; the order is checked.
    const std::string res3 = (dir / "res3c.safetensors").string(), cal3 = (dir / "res3c_cal.safetensors").string(),
                      chain = res + "," + res3;
    std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 2 --residual-of " + s2 + "," + res +
                                " --epochs 1 --batch 12 --recon-weight 0 --latent-weight 0 --conv-channels 4,4,4,4 "
                                "--context 16 --transforms 2 --flow-hidden 16,16 --out " + res3);
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(out.find("bhb residual stage: 36 spectra, network 2's estimate") != std::string::npos);
    CHECK(out.find("bhb train residual stage (network 3 of the chain)") != std::string::npos);
    std::tie(rc, out) = run_cli("bhb sample --model " + s2 + " --residual " + chain + " --data " + set +
                                " --count 10 --n 20 --out " + draws);
    CHECK_MESSAGE(rc == 0, out);
    CHECK(out.find("10 spectra x 20 draws of the chain's posterior") != std::string::npos);
    std::tie(rc, out) = run_cli("bhb calibrate --model " + s2 + " --residual " + chain + " --data " + set +
                                " --count 30 --samples 16 --out " + cal3);
    CHECK_MESSAGE(rc == 0, out);
    CHECK(out.find("residual stages `" + chain + "` (the last calibrated)") != std::string::npos);
    std::tie(rc, out) = run_cli("bhb report --model " + s2 + " --residual " + res + "," + cal3 + " --data " + set +
                                " --count 10 --samples 64 --pgstat-count 1 --fit-iterations 3 --corner 0 --out-dir " +
                                dir.string());
    CHECK_MESSAGE(rc == 0, out);
    CHECK(out.find("(calibrated)): the draws are the chain's posterior") != std::string::npos);
    std::tie(rc, out) = run_cli("bhb ceiling --data " + set + " --count 4 --draws 0 --model " + s2 + " --residual " +
                                chain + " --out-dir " + dir.string());
    CHECK_MESSAGE(rc == 0, out);
    for (const std::string& wrong : {res3, res3 + "," + res, res + "," + res})  {
      std::tie(rc, out) = run_cli("bhb sample --model " + s2 + " --residual " + wrong + " --data " + set + " --count 4 --n 2");
      CHECK(rc != 0);
      CHECK(out.find("was trained on the network with weights") != std::string::npos);
    }
    std::tie(rc, out) = run_cli("bhb sample --model " + s2 + " --residual " + res + ",," + res3 + " --data " + set + " --count 4 --n 2");
    CHECK(rc != 0);
    CHECK(out.find("--residual: an empty checkpoint path") != std::string::npos);
  }
  // Bad pairings and options.
  std::tie(rc, out) = run_cli("bhb report --model " + s1 + " --residual " + res + " --data " + set + " --count 20 "
                              "--out-dir " + dir.string());
  CHECK(rc != 0);
  CHECK(out.find("was trained on the network with weights") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb report --model " + s2 + " --residual " + s2 + " --data " + set + " --count 20 "
                              "--out-dir " + dir.string());
  CHECK(rc != 0);
  CHECK(out.find("is not a residual stage's checkpoint") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 3 --residual-of " + s2 + " --out " + res);
  CHECK(rc != 0);
  CHECK(out.find("--residual-of trains the residual stage's encoder and flow: --stage 2") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 2 --residual-of " + s2 + " --init " + s2 +
                              " --epochs 1 --out " + (dir / "res3.safetensors").string());
  CHECK(rc != 0);
  CHECK(out.find("is not a residual stage's checkpoint") != std::string::npos);
  std::tie(rc, out) = run_cli(train + " --base-df -1");
  CHECK(rc != 0);
  CHECK(out.find("--base-df must be >= 0") != std::string::npos);
  std::filesystem::remove_all(dir);
}
