// The BHB oracle (exact posterior by ensemble MCMC): narrow and centred on the truth for a bright spectrum, prior-like
// for a parameter the data cannot see, and clear errors for bad input (library and `specnet bhb oracle`).
#include <cmath>
#include <Eigen/Dense>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_test_util.h"
#include "crash_test_util.h"
#include "ic_test_util.h"
#include "bhb_oracle_util.h"
#include "harness.h"
#include "specnet/bhb/importance.h"
#include "specnet/bhb/oracle.h"
#include "specnet/context.h"
#include "specnet/rng.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/instrument.h"

using namespace specnet;
using namespace specnet::test;

namespace {

double unscaled(std::int64_t p, double v) { return bhb::kParamLog[p] ? std::log10(v) : v; }

bhb::Dataset two_records(const bhb::Simulation& s) { return records(s, {0, 1}); }

}  // namespace

TEST_CASE("bhb oracle: records brighter than 2^53 counts resimulate (the count check sums as the writer does)") {
  // Simulation index 886 of the built-in synthetic set with seed 2 (record 569 of val.bhb): 1.05e16 counts, where
  // summing the channels in another order than group_spectrum's rounds to another double.
  const bhb::Simulation s = bhb::make_simulation(0, 2);
  const bhb::Dataset d = records(s, {886});
  REQUIRE(d.counts[0] > 9007199254740992.0);
  std::vector<double> counts;
  std::array<double, bhb::kNumParams> truth{};
  bhb::resimulate_record(s, d, 0, counts, truth);
  CHECK(truth[4] == d.params[4]);
  double flat = 0;  // the channels summed in one run: another double than the record's
  for (std::int64_t g = 0; g < s.grouping.size(); ++g)
    for (std::int64_t c = s.grouping.first[g]; c < s.grouping.end[g]; ++c) flat += counts[c];
  MESSAGE("record counts ", d.counts[0], ", channels summed in one run ", flat);
  CHECK(flat != d.counts[0]);
  bhb::Dataset other = d;
  other.counts[0] *= 1 + 1e-5;
  CHECK_THROWS_WITH_AS(bhb::resimulate_record(s, other, 0, counts, truth), doctest::Contains("its resimulation"), Error);
  // A channel redrawn by the Poisson sampler after a model change at the rounding level (a set written before the
  // vectorised exp of the fourteenth session: 1e-9 of the counts off) is the same spectrum.
  other.counts[0] = d.counts[0] * (1 + 1e-9);
  CHECK_NOTHROW(bhb::resimulate_record(s, other, 0, counts, truth));
}

TEST_CASE("bhb oracle: a bright spectrum gives a narrow posterior centred on the truth") {
  const bhb::Simulation s = coarse_simulation(1e3);
  const std::array<double, bhb::kNumParams> truth = {0.5, 2.2, 0.2, 0.8, 1e4};
  const std::vector<double> counts = counts_at(s, truth);
  double total = 0;
  for (double c : counts) total += c;
  REQUIRE(total > 1e5);  // bright: the posterior must be narrow
  const bhb::OracleOptions o = chain_options(16, 300, 150, 400);
  const bhb::OracleChain c = bhb::oracle_chain(s, identity_scaling(), counts, truth, o, 5);
  REQUIRE(c.samples.size() == 400u * bhb::kNumParams);
  CHECK(c.acceptance > 0.2);
  CHECK(c.acceptance < 0.8);
  CHECK(std::isfinite(c.max_tau));
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) {
    const Moments m = moments(c.samples, p);
    INFO(bhb::kParamNames[p], ": mean ", m.mean, " sd ", m.sd, " truth ", unscaled(p, truth[p]));
    CHECK(m.sd < 0.05);   // dex (Gamma: absolute); the prior boxes are 1.3-12 wide
    CHECK(m.sd > 1e-6);   // the walkers moved
    CHECK(std::abs(m.mean - unscaled(p, truth[p])) < 4 * m.sd);
  }
  // The log posterior of the draws is that of ExactPosterior: the truth lies inside their range.
  float lo = c.log_post[0], hi = c.log_post[0];
  for (float v : c.log_post) lo = std::min(lo, v), hi = std::max(hi, v);
  CHECK(c.truth_log_post > lo - 20);
  CHECK(c.truth_log_post < hi + 1e-6);
}

TEST_CASE("bhb oracle: a parameter the data cannot see keeps its prior spread") {
  // A disk at 0.05 keV with norm 0.1 sends no photon above 0.3 keV: the counts are background only, so the
  // power-law index (the scattered fraction of nothing) stays as uniform as its prior on [1.3, 4].
  const bhb::Simulation s = coarse_simulation(1e3);
  const std::array<double, bhb::kNumParams> truth = {1.0, 2.5, 1e-3, 0.05, 0.1};
  const std::vector<double> counts = counts_at(s, truth);
  const bhb::OracleOptions o = chain_options(16, 600, 300, 1000);
  const bhb::OracleChain c = bhb::oracle_chain(s, identity_scaling(), counts, truth, o, 6);
  const Moments g = moments(c.samples, 1);
  const double prior_mean = 0.5 * (1.3 + 4.0), prior_sd = 2.7 / std::sqrt(12.0);
  INFO("Gamma: mean ", g.mean, " sd ", g.sd, " (prior ", prior_mean, ", ", prior_sd, ")");
  CHECK(std::abs(g.mean - prior_mean) < 0.3);
  CHECK(g.sd > 0.8 * prior_sd);
  CHECK(g.sd < 1.2 * prior_sd);
  // ... while the bright spectrum above pins it to < 0.05: the oracle tells the two apart.
}

TEST_CASE("bhb oracle: the truth's likelihood ratio follows chi-square with 5 degrees of freedom (Wilks)") {
  const bhb::Simulation s = coarse_simulation(1e3);
  const std::array<double, bhb::kNumParams> truth = {0.5, 2.2, 0.2, 0.8, 1e4};
  std::array<double, bhb::kNumParams> u{};
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) u[p] = bhb::kParamLog[p] ? std::log10(truth[p]) : truth[p];
  const int K = 60;
  double mean = 0;
  int above90 = 0, below50 = 0;
  for (int k = 0; k < K; ++k) {
    const bhb::ExactPosterior post(s, counts_at(s, truth, 100 + k));
    const double lr = bhb::truth_likelihood_ratio(post, u);
    CHECK(lr >= 0);
    mean += lr / K;
    above90 += bhb::chi2_cdf(lr, bhb::kNumParams) > 0.9;
    below50 += bhb::chi2_cdf(lr, bhb::kNumParams) <= 0.5;
  }
  MESSAGE("likelihood ratio of the truth over ", K, " realisations: mean ", mean, " (chi2_5: 5), above its 90% point ",
          above90, ", below its median ", below50);
  CHECK(std::abs(mean - 5) < 1.5);  // the mean of 60 chi2_5 has sd 0.41
  CHECK(above90 <= 14);             // expected 6 (binomial sd 2.3)
  CHECK(below50 >= 18);             // expected 30 (sd 3.9)
  CHECK(below50 <= 42);
  // A truth 2% off in N: the maximum is at least as high as the true point's log posterior.
  const bhb::ExactPosterior post(s, counts_at(s, truth));
  bhb::ExactPosterior::Scratch sc = post.make_scratch();
  std::array<double, bhb::kNumParams> off = u;
  off[4] += std::log10(1.02);
  const double drop = post.log_prob(u.data(), sc) - post.log_prob(off.data(), sc);
  REQUIRE(drop > 5);
  CHECK(bhb::truth_likelihood_ratio(post, off) >= 2 * drop);
  off[1] = 4.5;  // Gamma outside the box
  CHECK_THROWS_WITH_AS(bhb::truth_likelihood_ratio(post, off), doctest::Contains("outside the prior box"), Error);
}

TEST_CASE("bhb oracle: the exact posterior's density at the truth, by Laplace and by importance sampling") {
  const bhb::Simulation s = coarse_simulation(1e3);
  std::array<double, bhb::kNumParams> u{};
  auto unscaled_all = [&](const std::array<double, bhb::kNumParams>& truth) {
    for (std::int64_t p = 0; p < bhb::kNumParams; ++p) u[p] = unscaled(p, truth[p]);
    return u;
  };
  bhb::TruthDensityOptions o;
  o.draws = 2000;
  o.seed = 3;
  SUBCASE("bright: the two normalisers agree, and the density moves with the log posterior") {
    const std::array<double, bhb::kNumParams> truth = {0.5, 2.2, 0.2, 0.8, 1e4};
    const bhb::ExactPosterior post(s, counts_at(s, truth));
    const auto ut = unscaled_all(truth);
    const bhb::TruthDensity d = bhb::truth_log_density(post, ut, o);
    MESSAGE("bright spectrum: lr ", d.lr, ", log p laplace ", d.laplace, ", importance ", d.importance, " (ESS ", d.ess,
            " of ", o.draws, "), box mass ", d.box_mass);
    CHECK(d.lr == bhb::truth_likelihood_ratio(post, ut));
    CHECK(d.box_mass == 1.0);  // narrow: nowhere near the box's faces
    CHECK(d.ess > 0.3 * o.draws);
    CHECK(std::abs(d.importance - d.laplace) < 0.05);
    // log p is a density over 5 parameters whose posterior widths are ~1e-3-1e-2: far above 0
    CHECK(d.laplace > 10);
    // Another seed, the same normaliser within the importance sampler's noise.
    bhb::TruthDensityOptions o2 = o;
    o2.seed = 4;
    CHECK(std::abs(bhb::truth_log_density(post, ut, o2).importance - d.importance) < 0.05);
    // A point 1% off in N: its density differs from the truth's by the log posterior's difference.
    std::array<double, bhb::kNumParams> off = ut;
    off[4] += std::log10(1.01);
    bhb::ExactPosterior::Scratch sc = post.make_scratch();
    const double drop = post.log_prob(ut.data(), sc) - post.log_prob(off.data(), sc);
    const bhb::TruthDensity d_off = bhb::truth_log_density(post, off, o);
    CHECK(d.laplace - d_off.laplace == doctest::Approx(drop).epsilon(1e-3));
  }
  SUBCASE("a parameter the data cannot see: normalised over its prior range") {
    const std::array<double, bhb::kNumParams> truth = {1.0, 2.5, 1e-3, 0.05, 0.1};  // background only (test above)
    const bhb::ExactPosterior post(s, counts_at(s, truth));
    const bhb::TruthDensity d = bhb::truth_log_density(post, unscaled_all(truth), o);
    bhb::TruthDensityOptions o2 = o;
    o2.seed = 4;
    const bhb::TruthDensity d2 = bhb::truth_log_density(post, unscaled_all(truth), o2);
    MESSAGE("background only: log p laplace ", d.laplace, ", importance ", d.importance, " / ", d2.importance, " (ESS ",
            d.ess, " / ", d2.ess, "), box mass ", d.box_mass);
    CHECK(std::isfinite(d.laplace));
    CHECK(d.box_mass < 1.0);  // the Gaussian reaches the box's faces
    // Curved and cut by the box: the Laplace value is off by nats here, and the importance weights vary (an ESS of
    // ~25 of 2,000), but two independent sets of draws agree.
    CHECK(d.ess > 10);
    CHECK(std::abs(d.importance - d2.importance) < 0.2);
    CHECK(std::abs(d.importance - d.laplace) < 3);
    // Gamma is uniform over [1.3, 4] here, so the density cannot exceed what the other four parameters allow times
    // 1 / 2.7: far below the bright spectrum's.
    CHECK(d.importance < 10);
  }
  SUBCASE("bad options and a truth outside the box") {
    const std::array<double, bhb::kNumParams> truth = {0.5, 2.2, 0.2, 0.8, 1e4};
    const bhb::ExactPosterior post(s, counts_at(s, truth));
    bhb::TruthDensityOptions bad;
    bad.proposal_df = 0;
    CHECK_THROWS_WITH_AS(bhb::truth_log_density(post, unscaled_all(truth), bad), doctest::Contains("proposal_df > 0"),
                         Error);
    auto out = unscaled_all(truth);
    out[1] = 4.5;
    CHECK_THROWS_WITH_AS(bhb::truth_log_density(post, out), doctest::Contains("outside the prior box"), Error);
  }
}

TEST_CASE("bhb oracle: chi2_cdf against closed forms") {
  for (double x : {0.01, 0.5, 1.0, 2.0, 4.351, 7.0, 9.236, 15.0, 40.0}) {
    CHECK(bhb::chi2_cdf(x, 1) == doctest::Approx(std::erf(std::sqrt(x / 2))).scale(0).epsilon(1e-12));
    CHECK(bhb::chi2_cdf(x, 2) == doctest::Approx(1 - std::exp(-x / 2)).scale(0).epsilon(1e-12));
    const double five = std::erf(std::sqrt(x / 2)) - std::sqrt(2 * x / M_PI) * std::exp(-x / 2) * (1 + x / 3);
    CHECK(bhb::chi2_cdf(x, 5) == doctest::Approx(five).scale(0).epsilon(1e-10));
  }
  CHECK(bhb::chi2_cdf(9.236357, 5) == doctest::Approx(0.9).epsilon(1e-6));
  // Even dof 2m: the Poisson tail sum_{j>=m} e^-z z^j / j! (z = x / 2), in both branches (series below z = m + 1,
  // continued fraction above).
  for (double x : {150.0, 200.0, 240.0, 268.0, 330.0}) {
    const double z = x / 2;
    double tail = 0;
    for (int j = 120; j < 2000; ++j) tail += std::exp(-z + j * std::log(z) - std::lgamma(j + 1.0));
    CHECK(bhb::chi2_cdf(x, 240) == doctest::Approx(tail).scale(0).epsilon(1e-10));
  }
  CHECK(bhb::chi2_cdf(0, 5) == 0);
  CHECK(bhb::chi2_cdf(-1, 5) == 0);
  CHECK(bhb::chi2_cdf(INFINITY, 5) == 1);
  CHECK(bhb::chi2_cdf(1e4, 5) == 1);
  CHECK_THROWS_AS(bhb::chi2_cdf(1, 0), Error);
  CHECK_THROWS_AS(bhb::chi2_cdf(std::nan(""), 5), Error);
}

TEST_CASE("bhb oracle: bad input gives clear errors") {
  const bhb::Simulation s = coarse_simulation(1e3);
  const std::array<double, bhb::kNumParams> truth = {0.5, 2.2, 0.2, 0.8, 1e4};
  const std::vector<double> counts = counts_at(s, truth);
  bhb::OracleOptions o = chain_options(8, 20, 10, 1);
  CHECK_THROWS_WITH_AS(bhb::oracle_chain(s, identity_scaling(), counts, truth, o, 0),
                       doctest::Contains("samples per spectrum must be >= 2"), Error);
  o.samples = 81;  // 8 walkers x 10 kept steps = 80
  CHECK_THROWS_WITH_AS(bhb::oracle_chain(s, identity_scaling(), counts, truth, o, 0),
                       doctest::Contains("keeps only 80"), Error);
  o.samples = 8;
  std::array<double, bhb::kNumParams> outside = truth;
  outside[1] = 4.5;  // Gamma prior is [1.3, 4]
  CHECK_THROWS_WITH_AS(bhb::oracle_chain(s, identity_scaling(), counts, outside, o, 0),
                       doctest::Contains("outside the prior box"), Error);
  CHECK_THROWS_WITH_AS(bhb::oracle_chain(s, identity_scaling(), std::vector<double>(10, 1.0), truth, o, 0),
                       doctest::Contains("channel counts"), Error);
  std::vector<double> bad = counts;
  bad[100] = std::nan("");
  CHECK_THROWS_AS(bhb::oracle_chain(s, identity_scaling(), bad, truth, o, 0), Error);

  // Records: two spectra of the simulation (labels from their resimulation), then count / label mismatches.
  const bhb::Dataset d = two_records(s);
  CHECK_THROWS_WITH_AS(bhb::run_oracle(s, identity_scaling(), d, 3, o), doctest::Contains("holds 2 records"), Error);
  CHECK_THROWS_WITH_AS(bhb::run_oracle(s, identity_scaling(), d, 0, o), doctest::Contains("count 0"), Error);
  o.samples = 1;
  CHECK_THROWS_WITH_AS(bhb::run_oracle(s, identity_scaling(), d, 2, o), doctest::Contains(">= 2"), Error);
  o.samples = 8;
  bhb::Dataset relabelled = d;
  relabelled.params[1] += 0.1;  // Gamma of record 0
  CHECK_THROWS_WITH_AS(bhb::run_oracle(s, identity_scaling(), relabelled, 1, o),
                       doctest::Contains("resimulation gives"), Error);
  bhb::Dataset real = d;
  real.header.kind = 2;
  CHECK_THROWS_WITH_AS(bhb::run_oracle(s, identity_scaling(), real, 1, o), doctest::Contains("resimulates"), Error);
  // A valid tiny run: one Posterior row per record, truth log posteriors finite.
  const bhb::OracleRun run = bhb::run_oracle(s, identity_scaling(), d, 2, o);
  CHECK(run.post.N == 2);
  CHECK(run.post.samples.size() == 2u * 8 * bhb::kNumParams);
  CHECK(run.post.log_q.size() == 16u);
  CHECK(std::isfinite(run.post.truth_log_q[1]));
  CHECK(run.post.truth[1] == doctest::Approx(d.params[1]).epsilon(1e-6));  // identity scaling: Gamma unchanged
}

TEST_CASE("cli: bhb oracle on a tiny set, and its bad input") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_bhb_oracle";
  std::filesystem::create_directories(dir);
  const std::string set = (dir / "set.bhb").string();
  auto [rc, out] = test::run_cli("dataset bhb --count 3 --seed 3 --quiet --out " + set);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = test::run_cli("bhb oracle --data " + set + " --count 3 --walkers 8 --steps 30 --burn-in 15 "
                                    "--samples 16 --pgstat-count 1 --fit-iterations 3 --out-dir " + dir.string());
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("| Gamma |") != std::string::npos);
  CHECK(out.find("f_sc < 0.03") != std::string::npos);
  CHECK(out.find("exact posterior, asymptotic (truth's likelihood ratio)") != std::string::npos);
  CHECK(std::filesystem::exists(dir / "oracle.md"));
  std::ifstream csv(dir / "oracle_spectra.csv");
  std::string line;
  int rows = 0;
  while (std::getline(csv, line)) {
    if (rows++ == 0) {
      CHECK(line.size() > 9);
      CHECK(line.substr(line.size() - 9) == ",truth_lr");
    } else {  // the last column: a finite, non-negative likelihood ratio
      const double lr = std::stod(line.substr(line.rfind(',') + 1));
      CHECK(lr >= 0);
      CHECK(std::isfinite(lr));
    }
  }
  CHECK(rows == 4);  // header + 3 spectra
  std::tie(rc, out) = test::run_cli("bhb oracle --data " + set + " --count 4 --out-dir " + dir.string());
  CHECK(rc != 0);
  CHECK(out.find("holds 3 records") != std::string::npos);
  std::tie(rc, out) = test::run_cli("bhb oracle --data " + set + " --count 2 --samples 1 --out-dir " + dir.string());
  CHECK(rc != 0);
  CHECK(out.find("--samples must be >= 2") != std::string::npos);
  std::tie(rc, out) = test::run_cli("bhb oracle --count 2");
  CHECK(rc != 0);
  CHECK(out.find("--data is required") != std::string::npos);
  std::filesystem::remove_all(dir);
}

// ---- Importance sampling with the network as proposal (bhb/importance.h) ----

TEST_CASE("bhb importance: weights and resampling against a Gaussian with known ESS and evidence") {
  // Target N(0, 1) times e^7.3, proposal N(0, 2^2): ESS / n -> 1 / E_q[(p/q)^2] = sqrt(2 - 1/4) / 2 = 0.6614, the
  // log evidence -> 7.3, and the resampled draws have mean 0 and sd 1.
  const std::int64_t n = 40000;
  const Rng rng(3, 0);
  std::vector<double> x(n), log_target(n);  // (n)
  std::vector<float> log_q(n);              // (n)
  const double half_log_2pi = 0.5 * std::log(2 * M_PI);
  for (std::int64_t j = 0; j < n; ++j) {
    x[j] = 2.0 * Rng::normal_from(rng.block(static_cast<std::uint64_t>(j)));
    log_q[j] = static_cast<float>(-0.5 * x[j] * x[j] / 4 - std::log(2.0) - half_log_2pi);
    log_target[j] = 7.3 - 0.5 * x[j] * x[j] - half_log_2pi;
  }
  const bhb::ImportanceWeights w = bhb::importance_weights(log_target.data(), log_q.data(), n, n, 9);
  CHECK(w.finite == n);
  CHECK(w.ess / n == doctest::Approx(0.6614).scale(0).epsilon(0.03));
  CHECK(w.log_evidence == doctest::Approx(7.3).epsilon(0.003));
  REQUIRE(w.pick.size() == static_cast<std::size_t>(n));
  double mean = 0, var = 0;
  for (std::int64_t k = 0; k < n; ++k) {
    if (k > 0) CHECK(w.pick[k] >= w.pick[k - 1]);  // systematic resampling walks the proposals once
    mean += x[w.pick[k]];
  }
  mean /= n;
  for (std::int64_t k = 0; k < n; ++k) var += std::pow(x[w.pick[k]] - mean, 2);
  CHECK(std::abs(mean) < 0.03);
  CHECK(std::sqrt(var / n) == doctest::Approx(1.0).epsilon(0.03));

  // Proposals outside the prior (log target -inf) are never picked, and count out of `finite`.
  for (std::int64_t j = 0; j < n; j += 3) log_target[j] = -std::numeric_limits<double>::infinity();
  const bhb::ImportanceWeights cut = bhb::importance_weights(log_target.data(), log_q.data(), n, 1000, 9);
  CHECK(cut.finite == n - (n + 2) / 3);
  for (std::int64_t j : cut.pick) CHECK(j % 3 != 0);
  // Equal weights: ESS = n, each proposal picked once.
  std::vector<double> flat(8, -1.0);
  const std::vector<float> flat_q(8, 2.0f);
  const bhb::ImportanceWeights eq = bhb::importance_weights(flat.data(), flat_q.data(), 8, 8, 1);
  CHECK(eq.ess == doctest::Approx(8.0));
  CHECK(eq.log_evidence == doctest::Approx(-3.0));
  for (std::int64_t k = 0; k < 8; ++k) CHECK(eq.pick[k] == k);

  // Bad input.
  CHECK_THROWS_WITH_AS(bhb::importance_weights(flat.data(), flat_q.data(), 0, 8, 1), doctest::Contains(">= 1 proposal"),
                       Error);
  std::vector<float> bad_q = flat_q;
  bad_q[2] = std::nanf("");
  CHECK_THROWS_WITH_AS(bhb::importance_weights(flat.data(), bad_q.data(), 8, 8, 1), doctest::Contains("log q"), Error);
  std::vector<double> bad_t = flat;
  bad_t[5] = std::nan("");
  CHECK_THROWS_WITH_AS(bhb::importance_weights(bad_t.data(), flat_q.data(), 8, 8, 1), doctest::Contains("log target"),
                       Error);
  std::fill(bad_t.begin(), bad_t.end(), -std::numeric_limits<double>::infinity());
  CHECK_THROWS_WITH_AS(bhb::importance_weights(bad_t.data(), flat_q.data(), 8, 8, 1),
                       doctest::Contains("outside the prior"), Error);
}

TEST_CASE("bhb importance: reweighted draws match the MCMC oracle; adaptive rounds recover from a wide proposal") {
  const bhb::Simulation s = coarse_simulation(1e3);
  // A fainter spectrum than above: its posterior is wide enough for a chain from the truth to equilibrate in 2000
  // steps (a bright one's is far narrower than the 1e-3 start ball, and the ensemble is still contracting onto it
  // after the chain lengths a test can afford; docs/results-bhb.md, oracle coverage).
  const std::array<double, bhb::kNumParams> truth = {0.5, 2.2, 0.2, 0.8, 300};
  const std::vector<double> counts = counts_at(s, truth);
  const bhb::OracleChain chain = bhb::oracle_chain(s, identity_scaling(), counts, truth, chain_options(16, 2000, 1500, 4000), 5);
  std::array<double, bhb::kNumParams> mean{}, sd{}, centre{};
  const Eigen::MatrixXd cov = covariance(chain.samples);
  const Eigen::MatrixXd shift = Eigen::LLT<Eigen::MatrixXd>(cov).matrixL().toDenseMatrix().col(0);
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) {
    const Moments m = moments(chain.samples, p);
    mean[p] = m.mean;
    sd[p] = m.sd;
    // A fair proposal: 1.5x wider with the chain's correlations, its centre half a sigma off along them (shifting
    // each parameter by its own marginal sigma would leave the posterior's narrow ridge).
    centre[p] = m.mean + 0.5 * shift(p, 0);
  }
  const Eigen::MatrixXd wide = 2.25 * cov;
  // 25x wider and without the correlations: the network's posteriors give an ESS of ~1 (docs/results-bhb.md).
  Eigen::MatrixXd far = Eigen::MatrixXd::Zero(bhb::kNumParams, bhb::kNumParams);
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) far(p, p) = std::pow(25 * sd[p], 2);
  const bhb::ExactPosterior post(s, counts);
  std::vector<float> draws, log_q;
  gaussian_proposals(centre, wide, 3000, 1, draws, log_q);
  const bhb::ImportanceDraws r = bhb::importance_resample(post, identity_scaling(), draws.data(), log_q.data(), 3000, 1000, 2);
  INFO("ESS of the 2x-wide proposal ", r.weights.ess);
  CHECK(r.rounds == 0);
  CHECK(r.weights.ess > 100);
  CHECK(r.network_ess == r.weights.ess);
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) {
    const Moments m = moments(r.samples, p);
    INFO(bhb::kParamNames[p], ": IS ", m.mean, " +- ", m.sd, ", MCMC ", mean[p], " +- ", sd[p]);
    CHECK(std::abs(m.mean - mean[p]) < 0.5 * sd[p]);
    CHECK(std::abs(m.sd / sd[p] - 1) < 0.3);  // a ratio: doctest::Approx adds an absolute 1 to its scale
  }
  // The draws carry the exact log posterior: the best one is at least as good as the truth, give or take.
  CHECK(*std::max_element(r.log_post.begin(), r.log_post.end()) > chain.truth_log_post - 2);

  // A 25x-wide proposal: plain importance sampling degenerates, the adaptive rounds recover the posterior.
  gaussian_proposals(mean, far, 1024, 3, draws, log_q);
  bhb::RefineOptions o;
  const bhb::ImportanceDraws plain = bhb::importance_resample(post, identity_scaling(), draws.data(), log_q.data(), 1024, 1024, 4, o);
  CHECK(plain.weights.ess < 5);
  o.rounds = 10;
  const bhb::ImportanceDraws refined = bhb::importance_resample(post, identity_scaling(), draws.data(), log_q.data(), 1024, 1024, 4, o);
  INFO("ESS: network ", refined.network_ess, ", after ", refined.rounds, " rounds ", refined.weights.ess);
  CHECK(refined.network_ess == doctest::Approx(plain.weights.ess));
  CHECK(refined.rounds >= 1);
  CHECK(refined.weights.ess > 200);
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) {
    const Moments m = moments(refined.samples, p);
    INFO(bhb::kParamNames[p], ": refined ", m.mean, " +- ", m.sd, ", MCMC ", mean[p], " +- ", sd[p]);
    CHECK(std::abs(m.mean - mean[p]) < 0.5 * sd[p]);
    CHECK(std::abs(m.sd / sd[p] - 1) < 0.3);  // a ratio: doctest::Approx adds an absolute 1 to its scale
  }
  // The same numbers on any thread count.
  set_num_threads(1);
  const bhb::ImportanceDraws one = bhb::importance_resample(post, identity_scaling(), draws.data(), log_q.data(), 1024, 1024, 4, o);
  set_num_threads(0);
  CHECK(one.samples == refined.samples);
  CHECK(one.log_post == refined.log_post);
  // Bad options.
  o.dof = 2.5;
  CHECK_THROWS_WITH_AS(bhb::importance_resample(post, identity_scaling(), draws.data(), log_q.data(), 1024, 16, 4, o),
                       doctest::Contains("bad refine options"), Error);
}

TEST_CASE("bhb importance: run_importance over records, and its bad input") {
  const bhb::Simulation s = coarse_simulation(1e3);
  const bhb::Dataset d = two_records(s);
  // Proposals: Gaussians of 0.05 around each record's truth (unscaled space).
  bhb::Posterior prop;
  prop.N = 2;
  prop.n = 256;
  for (std::int64_t i = 0; i < 2; ++i) {
    std::array<double, bhb::kNumParams> centre{};
    for (std::int64_t p = 0; p < bhb::kNumParams; ++p) centre[p] = unscaled(p, d.params[i * bhb::kNumParams + p]);
    std::vector<float> x, lq;
    gaussian_proposals(centre, Eigen::MatrixXd::Identity(bhb::kNumParams, bhb::kNumParams) * 0.0025, prop.n, 10 + i, x,
                       lq);
    prop.samples.insert(prop.samples.end(), x.begin(), x.end());
    prop.log_q.insert(prop.log_q.end(), lq.begin(), lq.end());
  }
  bhb::RefineOptions o;
  o.rounds = 3;
  std::int64_t calls = 0;
  const bhb::OracleRun ir = bhb::run_importance(s, identity_scaling(), d, 2, prop, 64, 0, o,
                                                [&](std::int64_t i, const bhb::OracleRun& r) {
                                                  CHECK(r.ess.size() == static_cast<std::size_t>(i + 1));
                                                  ++calls;
                                                });
  CHECK(calls == 2);
  CHECK(ir.post.N == 2);
  CHECK(ir.post.n == 64);
  CHECK(ir.post.samples.size() == 2u * 64 * bhb::kNumParams);
  CHECK(ir.post.log_q.size() == 128u);
  CHECK(ir.network_ess.size() == 2u);
  CHECK(ir.rounds.size() == 2u);
  CHECK(std::isfinite(ir.post.truth_log_q[1]));
  CHECK(ir.acceptance.empty());
  for (double e : ir.ess) CHECK((e >= 1 && e <= 4 * 256));
  CHECK_THROWS_WITH_AS(bhb::run_importance(s, identity_scaling(), d, 3, prop, 64, 0, o), doctest::Contains("holds 2 records"),
                       Error);
  bhb::Posterior short_prop = prop;
  short_prop.N = 1;
  CHECK_THROWS_WITH_AS(bhb::run_importance(s, identity_scaling(), d, 2, short_prop, 64, 0, o),
                       doctest::Contains("need 2 spectra"), Error);
  CHECK_THROWS_WITH_AS(bhb::run_importance(s, identity_scaling(), d, 2, prop, 1, 0, o), doctest::Contains(">= 2"), Error);
  bhb::Dataset real = d;
  real.header.kind = 2;
  CHECK_THROWS_WITH_AS(bhb::run_importance(s, identity_scaling(), real, 1, prop, 64, 0, o), doctest::Contains("resimulates"),
                       Error);
}

TEST_CASE("cli: bhb ceiling on a tiny set: the same numbers on 1 and 2 threads, the network above the exact NLL") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = test::fresh_temp_dir("specnet_test_bhb_ceiling");
  const std::string set = (dir / "set.bhb").string(), model = (dir / "s1.safetensors").string();
  auto [rc, out] = test::run_cli("dataset bhb --count 8 --seed 3 --quiet --out " + set);
  REQUIRE_MESSAGE(rc == 0, out);
  // An untrained flow (stage 1 trains the decoder only) is far from the exact posterior.
  std::tie(rc, out) = test::run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --batch 4 --transforms 2 "
                                    "--flow-hidden 16,16 --context 16 --out " + model);
  REQUIRE_MESSAGE(rc == 0, out);
  auto slurp_csv = [&](const std::string& sub) { return test::slurp((dir / sub / "ceiling_spectra.csv").string()); };
  for (const char* threads : {"1", "2"}) {
    std::filesystem::create_directories(dir / threads);
    std::tie(rc, out) = test::run_cli("bhb ceiling --data " + set + " --count 8 --draws 64 --model " + model +
                                      " --threads " + threads + " --out-dir " + (dir / threads).string());
    REQUIRE_MESSAGE(rc == 0, out);
  }
  CHECK(slurp_csv("1") == slurp_csv("2"));
  CHECK(std::filesystem::exists(dir / "1" / "ceiling.svg"));
  CHECK(test::slurp((dir / "1" / "ceiling.md").string()).find("| all | 8 |") != std::string::npos);
  CHECK(out.find("| all | 8 |") != std::string::npos);
  std::istringstream csv(slurp_csv("1"));
  std::string line;
  std::getline(csv, line);
  CHECK(line == "record,index,source_counts,truth_lr,exact_nll_importance,exact_nll_laplace,ess,network_nll");
  int rows = 0;
  double exact = 0, network = 0;
  while (std::getline(csv, line)) {
    std::vector<double> v;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) v.push_back(std::stod(c));
    REQUIRE(v.size() == 8u);
    CHECK(v[3] >= 0);                        // likelihood ratio
    CHECK(std::abs(v[4] - v[5]) < 3);        // importance and Laplace tell the same story
    CHECK(v[6] >= 1);                        // ESS
    CHECK(v[6] <= 64);
    exact += v[4];
    network += v[7];
    ++rows;
  }
  CHECK(rows == 8);
  CHECK(network > exact + 8 * 5);  // an untrained flow: many nats per spectrum above the exact posterior
  std::tie(rc, out) = test::run_cli("bhb ceiling --data " + set + " --count 9");
  CHECK(rc != 0);
  CHECK(out.find("holds 8 records") != std::string::npos);
  std::tie(rc, out) = test::run_cli("bhb ceiling --data " + set + " --count 8 --draws -1");
  CHECK(rc != 0);
  CHECK(out.find("--draws must be >= 0") != std::string::npos);
  std::tie(rc, out) = test::run_cli("bhb ceiling --count 2");
  CHECK(rc != 0);
  CHECK(out.find("--data is required") != std::string::npos);
}
