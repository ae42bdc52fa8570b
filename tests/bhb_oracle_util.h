// Helpers of the exact-posterior and importance-sampling tests (test_bhb_oracle.cpp, test_bhb_spectrum_posterior.cpp):
// a cheap copy of the BHB simulation, spectra at chosen parameters, Gaussian proposals with their density, moments.
#pragma once
#include <array>
#include <cmath>
#include <vector>

#include <Eigen/Dense>

#include "harness.h"
#include "specnet/bhb/dataset.h"
#include "specnet/bhb/oracle.h"
#include "specnet/rng.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/instrument.h"

namespace specnet::test {

// The synthetic BHB simulation with a 50 eV model grid instead of 5 eV (same channels, grouping, priors and
// background), so that a chain costs seconds; exposure in s.
inline bhb::Simulation coarse_simulation(double exposure_s) {
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
inline std::vector<double> counts_at(const bhb::Simulation& s, const std::array<double, bhb::kNumParams>& truth,
                                     std::uint64_t seed = 11) {
  sim::CompositeModel m = s.model;
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) m.set(bhb::kModelParams[p], truth[p]);
  const std::vector<double> edges = s.fakeit.response.energy_edges_kev();
  std::vector<double> photons(edges.size() - 1);  // (E)
  m.evaluate(edges.data(), static_cast<std::int64_t>(photons.size()), photons.data());
  return sim::fake_counts(s.fakeit, photons.data(), seed, 0);
}

// Records of simulation indices as the dataset writer makes them (labels from their resimulation).
inline bhb::Dataset records(const bhb::Simulation& s, const std::vector<std::int64_t>& indices) {
  bhb::Dataset d;
  d.header.kind = 0;
  for (const std::int64_t i : indices) {
    std::vector<double> c;
    std::array<double, bhb::kNumParams> theta{};
    bhb::resimulate(s, i, c, theta);
    const bhb::GroupedSpectrum g =
        bhb::group_spectrum(s.grouping, c.data(), s.background_counts.data(), s.bkg_ratio, s.fakeit.exposure_s, 52);
    d.index.push_back(i);
    d.params.insert(d.params.end(), theta.begin(), theta.end());
    d.counts.push_back(g.source_counts);
    d.rate.insert(d.rate.end(), g.rate.begin(), g.rate.end());
    d.sigma.insert(d.sigma.end(), g.sigma.begin(), g.sigma.end());
  }
  return d;
}

// Identity scaling: the draws come back in the unscaled space (log10 of N_H, f_sc, kT_disk, N; Gamma).
inline bhb::Scaling identity_scaling() {
  bhb::Scaling sc;
  sc.mean.fill(0.0);
  sc.stdev.fill(1.0);
  return sc;
}

struct Moments {
  double mean = 0, sd = 0;
};
inline Moments moments(const std::vector<float>& draws, std::int64_t p) {
  const std::int64_t n = static_cast<std::int64_t>(draws.size()) / bhb::kNumParams;
  Moments m;
  for (std::int64_t j = 0; j < n; ++j) m.mean += draws[j * bhb::kNumParams + p];
  m.mean /= n;
  for (std::int64_t j = 0; j < n; ++j) m.sd += std::pow(draws[j * bhb::kNumParams + p] - m.mean, 2);
  m.sd = std::sqrt(m.sd / (n - 1));
  return m;
}

inline bhb::OracleOptions chain_options(int walkers, int steps, int burn_in, std::int64_t samples) {
  bhb::OracleOptions o;
  o.walkers = walkers;
  o.steps = steps;
  o.burn_in = burn_in;
  o.samples = samples;
  return o;
}

// n Gaussian proposals (identity scaling: the unscaled space) with the given mean and covariance (P x P, row-major),
// and their log density.
inline void gaussian_proposals(const std::array<double, bhb::kNumParams>& centre, const Eigen::MatrixXd& cov, std::int64_t n,
                        std::uint64_t seed, std::vector<float>& draws, std::vector<float>& log_q) {
  constexpr std::int64_t P = bhb::kNumParams;
  const Eigen::LLT<Eigen::MatrixXd> llt(cov);
  REQUIRE(llt.info() == Eigen::Success);
  const Eigen::MatrixXd L = llt.matrixL();
  const double log_det = 2 * L.diagonal().array().log().sum();
  const Rng rng(seed, 0);
  draws.resize(n * P);
  log_q.assign(n, 0.0f);
  for (std::int64_t j = 0; j < n; ++j) {
    Eigen::VectorXd z(P), x(P);
    for (std::int64_t p = 0; p < P; ++p) z[p] = Rng::normal_from(rng.block(static_cast<std::uint64_t>(j * P + p)));
    x = L * z;
    for (std::int64_t p = 0; p < P; ++p) draws[j * P + p] = static_cast<float>(centre[p] + x[p]);
    for (std::int64_t p = 0; p < P; ++p) x[p] = draws[j * P + p] - centre[p];  // the stored (float) draw's density
    const Eigen::VectorXd y = L.triangularView<Eigen::Lower>().solve(x);
    log_q[j] = static_cast<float>(-0.5 * y.squaredNorm() - 0.5 * log_det - 0.5 * P * std::log(2 * M_PI));
  }
}

// Covariance (P x P) of draws (n, P).
inline Eigen::MatrixXd covariance(const std::vector<float>& draws) {
  constexpr std::int64_t P = bhb::kNumParams;
  const std::int64_t n = static_cast<std::int64_t>(draws.size()) / P;
  Eigen::MatrixXd x(n, P);
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t p = 0; p < P; ++p) x(j, p) = draws[j * P + p];
  const Eigen::MatrixXd c = x.rowwise() - x.colwise().mean();
  return c.transpose() * c / double(n - 1);
}

}  // namespace specnet::test
