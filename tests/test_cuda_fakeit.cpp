// Tests for the GPU fakeit: the plan (model structure, links, priors, bad models) on any machine; on a GPU, model
// photons and expected counts against CompositeModel, counts against simulate_block, Poisson moments, bad inputs.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim_test_util.h"
#include "specnet/error.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/fakeit_plan.h"
#include "specnet/sim/nustar_background.h"
#ifdef SPECNET_WITH_CUDA
#include "specnet/cuda/fakeit.h"
#include "specnet/cuda/runtime.h"
#endif

using namespace specnet;
using namespace specnet::sim;

namespace {

// 1 Ms NuSTAR with the nuskybgd background of a 60" circle (background region 4x larger), as bench_fakeit.
const FakeitSetup& nustar_setup() {
  static const FakeitSetup s = [] {
    const InstrumentResponse& r = test::builtin_nustar();
    NustarRegion src, bkg;
    bkg.area_arcmin2 = 4 * src.area_arcmin2;
    return make_fakeit_setup(r, 1e6, nustar_background(r, bkg).total, nustar_backscal(src.area_arcmin2),
                             nustar_backscal(bkg.area_arcmin2));
  }();
  return s;
}

// The IC paper's 2T model with abundance and redshift of the second plasma linked to the first.
CompositeModel two_temperature() {
  CompositeModel m("tbabs*(apec+apec)");
  m.set("tbabs_1.nH", 0.5);
  m.set("apec_2.Redshift", 0.05);
  m.set("apec_2.Abundanc", 0.4);
  m.set("apec_2.norm", 0.02);
  m.set("apec_3.kT", 5.0);
  m.set("apec_3.norm", 0.01);
  m.link("apec_3.Abundanc", "apec_2.Abundanc");
  m.link("apec_3.Redshift", "apec_2.Redshift");
  return m;
}

std::vector<Prior> two_temperature_priors() {
  return parse_priors("tbabs_1.nH=0.1:10:log,apec_2.kT=0.5:3,apec_2.norm=1e-3:1e-1:log,apec_3.kT=2:8,"
                      "apec_3.norm=1e-3:1e-1:log");
}

}  // namespace

TEST_CASE("cuda fakeit plan: 2T model structure, links resolved to their roots, priors in draw order") {
  const CompositeModel m = two_temperature();
  const FakeitPlan plan = make_fakeit_plan(nustar_setup(), m, two_temperature_priors());
  CHECK(plan.E == 4096);
  CHECK(plan.H == 4096);
  CHECK(plan.P == 9);
  CHECK(plan.tbabs_nh == 0);
  REQUIRE(plan.term_kind.size() == 2);
  CHECK(plan.term_kind[0] == PlanTerm::apec);
  CHECK(plan.term_param == std::vector<std::int64_t>{1, 5});
  // apec_3.Abundanc (6) and apec_3.Redshift (7) take apec_2's (2, 3); the others are their own roots.
  CHECK(plan.param_source == std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 2, 3, 8});
  CHECK(plan.param_value[6] == 0.4);
  CHECK(plan.param_value[7] == 0.05);
  CHECK(plan.prior_param == std::vector<std::int64_t>{0, 1, 4, 5, 8});
  CHECK(plan.prior_log == std::vector<std::uint8_t>{1, 0, 1, 0, 1});
  CHECK(plan.tbabs_bin_begin.size() == 4097);
  CHECK(plan.tbabs_sigma22.size() == static_cast<std::size_t>(plan.tbabs_bin_begin.back()));
  CHECK(plan.row_start == nustar_setup().matrix.row_start);
  CHECK(plan.source_scale == 1e6);
  CHECK(plan.background_rate.size() == 4096);

  const FakeitPlan pl = make_fakeit_plan(nustar_setup(), CompositeModel("apec+powerlaw"), {});
  CHECK(pl.tbabs_nh == -1);
  CHECK(pl.tbabs_bin_begin.empty());
  REQUIRE(pl.term_kind.size() == 2);
  CHECK(pl.term_kind[1] == PlanTerm::powerlaw);
  CHECK(pl.term_param == std::vector<std::int64_t>{0, 4});
  CHECK(make_fakeit_plan(nustar_setup(), CompositeModel("tbabs*powerlaw"), {}).term_param ==
        std::vector<std::int64_t>{1});
}

TEST_CASE("cuda fakeit plan: unsupported models and bad priors are errors") {
  const FakeitSetup& s = nustar_setup();
  CHECK_THROWS_AS(make_fakeit_plan(s, CompositeModel("tbabs*(bremss+apec)"), {}), Error);
  CHECK_THROWS_AS(make_fakeit_plan(s, CompositeModel("powerlaw*tbabs"), {}), Error);
  CHECK_THROWS_AS(make_fakeit_plan(s, CompositeModel("tbabs*tbabs*apec"), {}), Error);
  CHECK_THROWS_AS(make_fakeit_plan(s, CompositeModel("apec+tbabs*powerlaw"), {}), Error);
  CHECK_THROWS_WITH_AS(make_fakeit_plan(s, CompositeModel("tbabs*apec+powerlaw"), {}),
                       doctest::Contains("whole sum"), Error);
  CHECK_THROWS_AS(make_fakeit_plan(s, CompositeModel("2*apec"), {}), Error);
  CHECK_THROWS_WITH_AS(make_fakeit_plan(s, CompositeModel("apec+apec+apec+apec+apec+apec+apec+apec+apec"), {}),
                       doctest::Contains("at most"), Error);
  const CompositeModel m = two_temperature();
  // A prior on a linked parameter, an unknown name, and one leaving the hard limits.
  CHECK_THROWS_AS(make_fakeit_plan(s, m, parse_priors("apec_3.Abundanc=0.1:1")), Error);
  CHECK_THROWS_AS(make_fakeit_plan(s, m, parse_priors("apec_9.kT=1:2")), Error);
  CHECK_THROWS_AS(make_fakeit_plan(s, m, parse_priors("apec_2.kT=0.1:2")), Error);
  // The prior fits kT's limits but not those of the PhoIndex linked to it.
  CompositeModel lp("apec+powerlaw");
  lp.link("powerlaw_2.PhoIndex", "apec_1.kT");
  CHECK_NOTHROW(make_fakeit_plan(s, lp, parse_priors("apec_1.kT=1:5")));
  CHECK_THROWS_WITH_AS(make_fakeit_plan(s, lp, parse_priors("apec_1.kT=1:20")),
                       doctest::Contains("linked parameter 'powerlaw_2.PhoIndex'"), Error);
}

#ifdef SPECNET_WITH_CUDA

namespace {

// Compares GPU and CPU datasets spectrum by spectrum.
using SimulateFn = void (*)(const FakeitSetup&, const CompositeModel&, const std::vector<Prior>&, std::uint64_t,
                           std::int64_t, std::int64_t, double*, double*);
void check_counts_match(SimulateFn simulate, const CompositeModel& m, const std::vector<Prior>& priors,
                        std::uint64_t seed, std::int64_t first, std::int64_t n) {
  const FakeitSetup& s = nustar_setup();
  const std::int64_t H = 4096, P = m.num_params();
  std::vector<double> cc(n * H), cp(n * P), gc(n * H), gp(n * P);
  simulate_block(s, m, priors, seed, first, n, cc.data(), cp.data());
  simulate(s, m, priors, seed, first, n, gc.data(), gp.data());
  double param_diff = 0;
  for (std::int64_t i = 0; i < n * P; ++i)
    param_diff = std::max(param_diff, std::fabs(gp[i] - cp[i]) / std::max(1e-300, std::fabs(cp[i])));
  std::int64_t bad_spectra = 0, bad_channels = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t bad = 0;
    for (std::int64_t h = 0; h < H; ++h) bad += gc[i * H + h] != cc[i * H + h];
    bad_channels += bad;
    bad_spectra += bad > 0;
  }
  MESSAGE(m.expression(), ": ", n, " spectra, parameters max rel diff ", param_diff, ", ", bad_channels,
          " of ", n * H, " counts differ (", bad_spectra, " spectra)");
  CHECK(param_diff < 1e-13);
  CHECK(bad_channels == 0);
  double total = 0;
  for (double c : gc) total += c;
  CHECK(total > 0);
}


bool gpu_or_skip() {
  if (cuda::cuda_available()) return true;
  MESSAGE("skipped: no CUDA device on this machine (the GPU fakeit tests need one)");
  return false;
}

// Largest |gpu - cpu| / (|cpu| + 1e-12 max|cpu|) over a spectrum: relative, except far below the peak.
double max_rel_diff(const double* gpu, const double* cpu, std::int64_t n) {
  double peak = 0, worst = 0;
  for (std::int64_t i = 0; i < n; ++i) peak = std::max(peak, std::fabs(cpu[i]));
  for (std::int64_t i = 0; i < n; ++i)
    worst = std::max(worst, std::fabs(gpu[i] - cpu[i]) / (std::fabs(cpu[i]) + 1e-12 * peak + 1e-300));
  return worst;
}

// photons (n, E) and expected counts (n, H) of parameters (n, P) for `model`, on the GPU or emulated.
using ExpectedFn = void (*)(const CompositeModel& model, const double* params, std::int64_t n, double* photons,
                            double* expected_counts);
void gpu_expected(const CompositeModel& m, const double* params, std::int64_t n, double* photons, double* mean) {
  cuda::FakeitSimulator gpu(nustar_setup(), m, {}, 2);  // batches of 2: the sets also cross batch boundaries
  gpu.expected(params, n, photons, mean);
}
void emulated_expected(const CompositeModel& m, const double* params, std::int64_t n, double* photons, double* mean) {
  cuda::detail::emulate_expected(nustar_setup(), m, params, n, photons, mean);
}

// Photons and expected counts against CompositeModel::evaluate + expected_counts for parameter sets.
void check_model_matches(ExpectedFn expected, const std::string& expression,
                         const std::vector<std::vector<std::pair<std::string, double>>>& sets) {
  const FakeitSetup& s = nustar_setup();
  CompositeModel m(expression);
  const std::int64_t n = static_cast<std::int64_t>(sets.size()), P = m.num_params(), E = 4096, H = 4096;
  std::vector<double> params(n * P), photons(n * E), mean(n * H);  // (n, P), (n, E), (n, H)
  std::vector<std::vector<double>> cpu_photons, cpu_mean;
  const std::vector<double> edges = s.response.energy_edges_kev();
  for (std::int64_t i = 0; i < n; ++i) {
    CompositeModel mi(m);
    for (const auto& [name, v] : sets[i]) mi.set(name, v);
    for (std::int64_t p = 0; p < P; ++p) params[i * P + p] = mi.get(mi.params()[p].name);
    cpu_photons.push_back(mi.evaluate(edges));
    cpu_mean.emplace_back(H);
    expected_counts(s, cpu_photons.back().data(), cpu_mean.back().data());
  }
  expected(m, params.data(), n, photons.data(), mean.data());
  for (std::int64_t i = 0; i < n; ++i) {
    const double dp = max_rel_diff(photons.data() + i * E, cpu_photons[i].data(), E);
    const double dm = max_rel_diff(mean.data() + i * H, cpu_mean[i].data(), H);
    INFO(expression, " set ", i, ": photons max rel diff ", dp, ", expected counts ", dm);
    CHECK(dp < 1e-9);
    CHECK(dm < 1e-9);
  }
}

}  // namespace

// Runs on every machine with the CUDA backend compiled: the device code executed on the CPU.
TEST_CASE("cuda fakeit: kernel code emulated on the CPU reproduces simulate_block") {
  check_counts_match(cuda::detail::emulate_simulate_block, two_temperature(), two_temperature_priors(), 7, 5, 40);
  check_counts_match(cuda::detail::emulate_simulate_block, CompositeModel("apec+powerlaw"),
                     parse_priors("apec_1.kT=0.4:20,apec_1.Redshift=0:2,apec_1.norm=1e-3:1e-1:log,"
                                  "powerlaw_2.PhoIndex=0.5:3,powerlaw_2.norm=1e-4:1e-2:log"),
                     3, 0, 33);
}

// Parameter sets at the apec table edges, nH = 0, Gamma = 1, non-zero redshifts.
void check_models(ExpectedFn expected) {
  check_model_matches(expected, "tbabs*(apec+apec)",
                      {{},
                       {{"tbabs_1.nH", 3.0}, {"apec_2.kT", 0.31}, {"apec_3.kT", 24.9}},
                       {{"tbabs_1.nH", 0.0}, {"apec_2.Redshift", 0.3}, {"apec_3.Abundanc", 2.5}},
                       {{"tbabs_1.nH", 10.0}, {"apec_2.kT", 6.5}, {"apec_2.norm", 0.02}}});
  check_model_matches(expected, "apec+powerlaw",
                      {{{"powerlaw_2.PhoIndex", 1.0}},
                       {{"powerlaw_2.PhoIndex", 2.3}, {"apec_1.kT", 4.0}},
                       {{"powerlaw_2.PhoIndex", -1.5}, {"apec_1.Redshift", 1.2}}});
  check_model_matches(expected, "tbabs*powerlaw", {{{"tbabs_1.nH", 0.2}}, {{"tbabs_1.nH", 50.0}}});
}

TEST_CASE("cuda fakeit: kernel model and fold code emulated on the CPU equal the CPU model to 1e-9") {
  check_models(emulated_expected);
}

TEST_CASE("cuda fakeit: model photons and expected counts equal the CPU model to 1e-9") {
  if (!gpu_or_skip()) return;
  check_models(gpu_expected);
}

TEST_CASE("cuda fakeit: counts and parameters equal simulate_block for the same seed") {
  if (!gpu_or_skip()) return;
  check_counts_match(cuda::simulate_block_cuda, two_temperature(), two_temperature_priors(), 7, 5, 64);
  check_counts_match(cuda::simulate_block_cuda, CompositeModel("tbabs*(apec+powerlaw)"),
                     parse_priors("apec_2.kT=1:10,apec_2.norm=1e-3:1e-1:log,powerlaw_3.PhoIndex=1.2:2.8,"
                                  "powerlaw_3.norm=1e-4:1e-2:log"),
                     12345, 1000, 48);
}

TEST_CASE("cuda fakeit: Poisson counts have the expected mean and variance per channel; batching is invisible") {
  if (!gpu_or_skip()) return;
  const FakeitSetup& s = nustar_setup();
  const CompositeModel m = two_temperature();
  const std::int64_t n = 3000, H = 4096, P = m.num_params();
  cuda::FakeitSimulator gpu(s, m, {}, 1024);  // three batches
  std::vector<double> counts(n * H), params(n * P), mu(H);
  gpu.simulate(21, 0, n, counts.data(), params.data());
  const std::vector<double> row(params.begin(), params.begin() + P);
  gpu.expected(row.data(), 1, nullptr, mu.data());
  // Sample mean: sum over channels of (mean - mu)^2 / (mu / n) is chi^2 with one degree per channel.
  double chi2 = 0, var_ratio = 0;
  std::int64_t dof = 0, var_channels = 0;
  for (std::int64_t h = 0; h < H; ++h) {
    if (mu[h] < 1e-3) continue;
    double sum = 0, sum2 = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      sum += counts[i * H + h];
      sum2 += counts[i * H + h] * counts[i * H + h];
    }
    const double mean = sum / n, var = (sum2 - n * mean * mean) / (n - 1);
    chi2 += (mean - mu[h]) * (mean - mu[h]) / (mu[h] / n);
    ++dof;
    if (mu[h] > 1) {
      var_ratio += var / mu[h];
      ++var_channels;
    }
  }
  REQUIRE(dof > 1000);
  REQUIRE(var_channels > 100);
  var_ratio /= var_channels;
  MESSAGE("chi2 ", chi2, " for ", dof, " channels; mean variance / mean ", var_ratio, " over ", var_channels);
  CHECK(std::fabs(chi2 - dof) < 5 * std::sqrt(2.0 * dof));
  // Each channel's var/mu has sd ~ sqrt(2 / n) (Poisson, mu >= 1); their average over many channels is tighter.
  CHECK(std::fabs(var_ratio - 1) < 5 * std::sqrt(2.0 / n / var_channels) + 0.002);
  // One call of the whole range and two calls of its halves give the same spectra.
  cuda::FakeitSimulator whole(s, m, {}, n);
  std::vector<double> again(n * H);
  whole.simulate(21, 0, n / 2, again.data(), nullptr);
  whole.simulate(21, n / 2, n - n / 2, again.data() + (n / 2) * H, nullptr);
  CHECK(again == counts);
}

TEST_CASE("cuda fakeit: bad inputs are errors") {
  if (!gpu_or_skip()) return;
  const FakeitSetup& s = nustar_setup();
  const CompositeModel m("apec+powerlaw");
  CHECK_THROWS_AS(cuda::FakeitSimulator(s, m, {}, 0), Error);
  CHECK_THROWS_AS(cuda::FakeitSimulator(s, CompositeModel("bremss"), {}), Error);
  CHECK_THROWS_AS(cuda::FakeitSimulator(s, m, parse_priors("apec_1.kT=0.01:2")), Error);
  cuda::FakeitSimulator gpu(s, m, {}, 8);
  std::vector<double> counts(4 * 4096), params(4 * 6, 1.0);
  CHECK_THROWS_AS(gpu.simulate(1, -1, 4, counts.data(), nullptr), Error);
  CHECK_THROWS_AS(gpu.simulate(1, 0, -4, counts.data(), nullptr), Error);
  CHECK_THROWS_AS(gpu.simulate(1, 0, 4, nullptr, nullptr), Error);
  CHECK_THROWS_AS(gpu.simulate_device(1, 0, 4, nullptr, nullptr), Error);
  params[2] = std::nan("");
  CHECK_THROWS_AS(gpu.expected(params.data(), 4, nullptr, counts.data()), Error);
  params[2] = 0;
  params[4] = 11;  // PhoIndex above its hard maximum 10
  CHECK_THROWS_WITH_AS(gpu.expected(params.data(), 4, nullptr, counts.data()), doctest::Contains("hard limits"),
                       Error);
  CHECK_NOTHROW(gpu.simulate(1, 0, 0, counts.data(), nullptr));
}

#endif  // SPECNET_WITH_CUDA
