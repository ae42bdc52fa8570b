// One paper-002 stage-2 training step of the BHB flow-autoencoder on the CPU (issue #6): encoder forward, loss
// (flow NLL, plus the latent MSE of one reparameterised draw in mode "latent"), backward, AdamW over encoder + flow.
// Arguments: batch, mode (0 npe, 1 latent), threads. Counters: spectra/s (no FLOP count: the repo has no FLOP model of
// this network, and the spline / autoregressive inverse work is not GEMM-shaped). Peer: bench/peer/bhb_torch.py.
#include <benchmark/benchmark.h>

#include "bhb_stage2_setup.h"
#include "specnet/context.h"

using namespace specnet;

namespace {
void BM_bhb_stage2_step(benchmark::State& state) {
  const std::int64_t batch = state.range(0), mode = state.range(1);
  set_num_threads(static_cast<int>(state.range(2)));
  bench::BhbStage2 s(batch, mode, Device::cpu);
  state.SetLabel(bench::bhb_stage2_mode_name(mode));
  s.step();  // warm-up: AdamW state and the allocator
  for (auto _ : state) benchmark::DoNotOptimize(s.step());
  state.counters["spectra/s"] = benchmark::Counter(double(batch) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["parameters"] = double(s.trainable_parameters);
  set_num_threads(0);
}
}  // namespace

BENCHMARK(BM_bhb_stage2_step)
    ->ArgNames({"batch", "mode", "threads"})
    ->ArgsProduct({{120, 1024}, {0, 1}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);
