// GPU benchmarks at the paper's shapes: IC-search CAE step (batch 150, 2960 bins, as bench_cae_step.cpp), spline-flow
// step, decoder GRU (as bench_flow.cpp) and BHB stage-2 step (as bench_bhb_step.cpp); each step ends with loss.item().
// Peer: bench/peer/compare_gpu.py.
#include <benchmark/benchmark.h>

#include <string>

#include "bhb_stage2_setup.h"
#include "specnet/autograd.h"
#include "specnet/cuda/runtime.h"
#include "specnet/nn/gru.h"
#include "specnet/nn/ic_cae.h"
#include "specnet/nn/spline_flow.h"
#include "specnet/ops.h"
#include "specnet/optim/adam.h"

using namespace specnet;

namespace {

// Skips the benchmark (with the reason) when no GPU is usable or the build has no CUDA backend.
bool skip_without_gpu(benchmark::State& state) {
  if (cuda::cuda_available()) return false;
  state.SkipWithError(("no CUDA device: " + cuda::device_description()).c_str());
  return true;
}

// The reference CAE on the GPU with a batch of positive spectrum-scale inputs and labels in [0, 1] (the values
// do not change the work).
struct CudaCae {
  nn::IcCaeConfig cfg;
  Rng rng{1}, data{2};
  nn::IcCae net{cfg, rng};
  Tensor x, label;
  explicit CudaCae(std::int64_t batch) {
    net.to(Device::cuda);
    x = Tensor::rand({batch, 1, cfg.n_bins}, data, 0.0, 1e-1).to(Device::cuda);
    label = Tensor::rand({batch, cfg.latent}, data).to(Device::cuda);
  }
};

void BM_cuda_cae_train_step(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const std::int64_t batch = state.range(0);
  CudaCae s(batch);
  optim::AdamOptions o;
  o.lr = 0.01;
  optim::Adam adam(s.net.named_parameters(), o);
  auto step = [&] {
    adam.zero_grad();
    Tensor loss = nn::ic_cae_loss(s.net.run(s.x), s.x, s.label, 0.1);
    loss.backward();
    adam.step();
    return loss.item();
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up: fills the caching allocator and cuBLAS heuristics
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["spectra/s"] = benchmark::Counter(double(batch) * state.iterations(), benchmark::Counter::kIsRate);
}

void BM_cuda_cae_inference(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const std::int64_t batch = state.range(0);
  CudaCae s(batch);
  s.net.eval();
  NoGradGuard ng;
  auto score = [&] { return mean(pow(sub(s.net.forward(s.x), s.x), 2.0), {1, 2}).to_vector()[0]; };  // (B) Ra
  for (int i = 0; i < 3; ++i) score();
  for (auto _ : state) benchmark::DoNotOptimize(score());
  state.counters["spectra/s"] = benchmark::Counter(double(batch) * state.iterations(), benchmark::Counter::kIsRate);
}

// The paper's flow (5 parameters, 120 context features, 10 transforms, MADE 3 x 120, 8 bins): -mean log q,
// backward and an Adam step per batch of B (theta, context) pairs.
void BM_cuda_flow_train_step(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const std::int64_t batch = state.range(0);
  Rng rng(3), data(4);
  nn::SplineFlow flow(nn::SplineFlowOptions{}, rng);
  flow.to(Device::cuda);
  const Tensor theta = Tensor::randn({batch, 5}, data).to(Device::cuda);
  const Tensor ctx = Tensor::randn({batch, 120}, data).to(Device::cuda);
  optim::Adam adam(flow.named_parameters(), optim::AdamOptions{});
  auto step = [&] {
    adam.zero_grad();
    Tensor loss = sum(flow.log_prob(theta, ctx)) * (-1.0 / double(batch));
    loss.backward();
    adam.step();
    return loss.item();
  };
  for (int i = 0; i < 3; ++i) step();
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["spectra/s"] = benchmark::Counter(double(batch) * state.iterations(), benchmark::Counter::kIsRate);
}

// The paper's decoder GRU (2 layers, bidirectional, hidden 1, 240 steps) forward + backward, as BM_gru_fwd_bwd.
void BM_cuda_gru_fwd_bwd(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const std::int64_t batch = state.range(0);
  Rng rng(4);
  nn::GRU gru(1, 1, rng, 2, true);
  gru.to(Device::cuda);
  Tensor x = Tensor::randn({batch, 240, 1}, rng).to(Device::cuda).set_requires_grad();
  auto step = [&] {
    Tensor loss = sum(gru(x));
    loss.backward();
    gru.zero_grad();
    x.zero_grad();
    return loss.item();
  };
  for (int i = 0; i < 3; ++i) step();
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["spectra/s"] = benchmark::Counter(double(batch) * state.iterations(), benchmark::Counter::kIsRate);
}

// The BHB flow-autoencoder's stage-2 step (bench/bhb_stage2_setup.h): batch, mode (0 npe, 1 latent).
void BM_cuda_bhb_stage2_step(benchmark::State& state) {
  if (skip_without_gpu(state)) return;
  const std::int64_t batch = state.range(0), mode = state.range(1);
  bench::BhbStage2 s(batch, mode, Device::cuda);
  state.SetLabel(bench::bhb_stage2_mode_name(mode));
  for (int i = 0; i < 3; ++i) s.step();
  for (auto _ : state) benchmark::DoNotOptimize(s.step());
  state.counters["spectra/s"] = benchmark::Counter(double(batch) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["parameters"] = double(s.trainable_parameters);
}

}  // namespace

BENCHMARK(BM_cuda_cae_train_step)->Arg(150)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_cuda_cae_inference)->Arg(150)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_cuda_flow_train_step)->Arg(512)->Arg(8192)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_cuda_gru_fwd_bwd)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
BENCHMARK(BM_cuda_bhb_stage2_step)
    ->ArgNames({"batch", "mode"})
    ->ArgsProduct({{120, 1024}, {0, 1}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);
