// Batched posterior sampling of the paper-size spline flow (reference-architectures.md section B): the target
// is 1,000 draws for each of 2,160 spectra in < 5 s on 2 cores. FastFlowSampler (f32 and AMX bf16) vs SplineFlow::rsample.
#include <benchmark/benchmark.h>

#include <string>

#include "specnet/autograd.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/bhb/residual.h"
#include "specnet/cpu/gemm_amx_bf16.h"

using namespace specnet;

namespace {
std::vector<float> contexts(std::int64_t B) {
  std::vector<float> c(B * 120);
  Rng r(5);
  for (auto& v : c) v = static_cast<float>(r.normal());
  return c;
}
}  // namespace

// Arguments: spectra B, draws per spectrum n, precision (0: f32, 1: AMX bf16). Items = draws.
static void BM_BhbFastSample(benchmark::State& state) {
  const std::int64_t B = state.range(0), n = state.range(1);
  const bool bf16 = state.range(2) == 1, student_t = state.range(3) == 1;
  if (bf16 && !cpu::amx_bf16_available()) {
    state.SkipWithError("AMX-BF16 not available");
    return;
  }
  nn::SplineFlowOptions o;
  Rng rng(1);
  nn::SplineFlow flow(o, rng);
  bhb::FastFlowSampler fast(flow, bf16 ? bhb::FastFlowSampler::Precision::bf16 : bhb::FastFlowSampler::Precision::f32);
  if (student_t) fast.set_base(0.99, 14);  // a calibrated base (docs/bhb.md): one radial factor per draw
  state.SetLabel(std::string(bhb::FastFlowSampler::precision_name(fast.precision())) + (student_t ? ", t base" : ""));
  const auto ctx = contexts(B);
  std::vector<float> out(B * n * 5);
  std::uint64_t seed = 0;
  for (auto _ : state) {
    fast.sample(ctx.data(), B, n, seed++, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * B * n);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * fast.macs_per_draw() * B * n * state.iterations(),
                                                 benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_BhbFastSample)
    ->Args({2160, 1, 0, 0})->Args({216, 1000, 0, 0})->Args({2160, 1000, 0, 0})
    ->Args({2160, 1, 1, 0})->Args({216, 1000, 1, 0})->Args({2160, 1000, 1, 0})
    ->Args({216, 1000, 0, 1})->Args({216, 1000, 1, 1})->Args({2160, 1000, 1, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_BhbReferenceRsample(benchmark::State& state) {
  const std::int64_t B = state.range(0), n = state.range(1);
  nn::SplineFlowOptions o;
  Rng rng(1);
  nn::SplineFlow flow(o, rng);
  const auto c = contexts(B);
  Tensor ctx = Tensor::from_vector(c, {B, 120});
  NoGradGuard ng;
  Rng draws(2);
  for (auto _ : state) benchmark::DoNotOptimize(flow.rsample(n, ctx, draws).samples);
  state.SetItemsProcessed(state.iterations() * B * n);
}
BENCHMARK(BM_BhbReferenceRsample)->Args({216, 100})->Unit(benchmark::kMillisecond)->UseRealTime();

// The residual stage's per-spectrum overhead (bhb/residual.h) besides the second network's draws: the first network's
// estimate (encoder and 33 float32 draws) and the model at its centre, on B spectra of the built-in synthetic set,
// paper-size untrained networks (wide encoder). Items = spectra. Arguments: B, part (0: first estimate, 1: residuals).
static void BM_BhbResidualInputs(benchmark::State& state) {
  const std::int64_t B = state.range(0);
  const bool residuals = state.range(1) == 1;
  const bhb::Simulation sim = bhb::make_simulation(0, 2);
  bhb::Dataset d;
  for (std::int64_t i = 0; i < B; ++i) {  // records as the dataset writer makes them
    std::vector<double> c;
    std::array<double, bhb::kNumParams> theta{};
    bhb::resimulate(sim, i, c, theta);
    const bhb::GroupedSpectrum g = bhb::group_spectrum(sim.grouping, c.data(), sim.background_counts.data(),
                                                       sim.bkg_ratio, sim.fakeit.exposure_s, sim.n_det);
    d.index.push_back(i);
    d.params.insert(d.params.end(), theta.begin(), theta.end());
    d.counts.push_back(g.source_counts);
    d.rate.insert(d.rate.end(), g.rate.begin(), g.rate.end());
    d.sigma.insert(d.sigma.end(), g.sigma.begin(), g.sigma.end());
  }
  const bhb::Scaling scaling = bhb::Scaling::fit(d);
  bhb::NetworkConfig cfg;
  cfg.conv_channels = {32, 64, 64, 64, 64, 64};
  Rng rng(1);
  bhb::Network first(cfg, rng);
  const bhb::FirstEstimate e = bhb::first_estimate(first, scaling, d, bhb::prior_box(sim));
  state.SetLabel(residuals ? "residuals at the centre" : "first estimate");
  for (auto _ : state) {
    if (residuals)
      benchmark::DoNotOptimize(bhb::center_residuals(sim, scaling, d, e));
    else
      benchmark::DoNotOptimize(bhb::first_estimate(first, scaling, d, bhb::prior_box(sim)));
  }
  state.SetItemsProcessed(state.iterations() * B);
}
BENCHMARK(BM_BhbResidualInputs)->Args({216, 0})->Args({216, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
