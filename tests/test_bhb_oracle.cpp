// The BHB oracle (exact posterior by ensemble MCMC): narrow and centred on the truth for a bright spectrum, prior-like
// for a parameter the data cannot see, and clear errors for bad input (library and `specnet bhb oracle`).
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli_test_util.h"
#include "harness.h"
#include "specnet/bhb/oracle.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/instrument.h"

using namespace specnet;

namespace {

// The synthetic BHB simulation with a 50 eV model grid instead of 5 eV (same channels, grouping, priors and
// background), so that a chain costs seconds; exposure in s.
bhb::Simulation coarse_simulation(double exposure_s) {
  bhb::Simulation s = bhb::make_simulation(0, 7);
  std::vector<double> energy(399), channel(1502);  // (E+1) 0.1-20 keV, (H+1) PI 0-1500 in 10 eV
  for (std::size_t i = 0; i < energy.size(); ++i) energy[i] = 0.1 + 0.05 * static_cast<double>(i);
  for (std::size_t h = 0; h < channel.size(); ++h) channel[h] = 0.01 * static_cast<double>(h);
  sim::InstrumentResponse r;
  r.name = "nicer-coarse";
  r.rmf = sim::gaussian_rmf(energy, channel, 0, sim::nicer_resolution());
  r.arf.energy_lo_kev.assign(energy.begin(), energy.end() - 1);
  r.arf.energy_hi_kev.assign(energy.begin() + 1, energy.end());
  r.arf.area_cm2 = sim::builtin_area_on_grid("nicer", energy);
  std::vector<double> background = s.fakeit.background_rate;
  s.fakeit = sim::make_fakeit_setup(std::move(r), exposure_s, std::move(background));
  return s;
}

// Poisson channel counts (H) of the simulation's model at `truth` (physical, kParamNames order).
std::vector<double> counts_at(const bhb::Simulation& s, const std::array<double, bhb::kNumParams>& truth) {
  sim::CompositeModel m = s.model;
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) m.set(bhb::kModelParams[p], truth[p]);
  const std::vector<double> edges = s.fakeit.response.energy_edges_kev();
  std::vector<double> photons(edges.size() - 1);  // (E)
  m.evaluate(edges.data(), static_cast<std::int64_t>(photons.size()), photons.data());
  return sim::fake_counts(s.fakeit, photons.data(), 11, 0);
}

// Identity scaling: the draws come back in the unscaled space (log10 of N_H, f_sc, kT_disk, N; Gamma).
bhb::Scaling identity_scaling() {
  bhb::Scaling sc;
  sc.mean.fill(0.0);
  sc.stdev.fill(1.0);
  return sc;
}

struct Moments {
  double mean = 0, sd = 0;
};
Moments moments(const std::vector<float>& draws, std::int64_t p) {
  const std::int64_t n = static_cast<std::int64_t>(draws.size()) / bhb::kNumParams;
  Moments m;
  for (std::int64_t j = 0; j < n; ++j) m.mean += draws[j * bhb::kNumParams + p];
  m.mean /= n;
  for (std::int64_t j = 0; j < n; ++j) m.sd += std::pow(draws[j * bhb::kNumParams + p] - m.mean, 2);
  m.sd = std::sqrt(m.sd / (n - 1));
  return m;
}

bhb::OracleOptions chain_options(int walkers, int steps, int burn_in, std::int64_t samples) {
  bhb::OracleOptions o;
  o.walkers = walkers;
  o.steps = steps;
  o.burn_in = burn_in;
  o.samples = samples;
  return o;
}

double unscaled(std::int64_t p, double v) { return bhb::kParamLog[p] ? std::log10(v) : v; }

}  // namespace

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
  bhb::Dataset d;
  d.header.kind = 0;
  for (std::int64_t i = 0; i < 2; ++i) {
    std::vector<double> c;
    std::array<double, bhb::kNumParams> theta{};
    bhb::resimulate(s, i, c, theta);
    const bhb::GroupedSpectrum g =
        bhb::group_spectrum(s.grouping, c.data(), s.background_counts.data(), s.bkg_ratio, 1e3, 52);
    d.index.push_back(i);
    d.params.insert(d.params.end(), theta.begin(), theta.end());
    d.counts.push_back(g.source_counts);
    d.rate.insert(d.rate.end(), g.rate.begin(), g.rate.end());
    d.sigma.insert(d.sigma.end(), g.sigma.begin(), g.sigma.end());
  }
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
  if (!std::filesystem::exists(test::kCli)) {
    MESSAGE("skipped: ", test::kCli, " not built");
    return;
  }
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
  CHECK(std::filesystem::exists(dir / "oracle.md"));
  std::ifstream csv(dir / "oracle_spectra.csv");
  std::string line;
  int rows = 0;
  while (std::getline(csv, line)) ++rows;
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
