// Spectral-posterior network layers at the paper's shapes: the rational-quadratic spline kernel (8 bins), the
// 10-transform conditional spline flow (log_prob training pass, posterior draws) and the hidden-size-1 GRU.
#include <benchmark/benchmark.h>

#include "specnet/autograd.h"
#include "specnet/nn/gru.h"
#include "specnet/nn/spline_flow.h"
#include "specnet/ops/reduce.h"
#include "specnet/ops/spline.h"

using namespace specnet;

// Forward (or inverse) of n elements with K = 8 bins on [-5, 5]; counter: elements/s.
static void BM_rq_spline(benchmark::State& state) {
  const std::int64_t n = state.range(0), K = 8;
  Rng rng(1);
  Tensor x = Tensor::randn({n}, rng), w = Tensor::randn({n, K}, rng), h = Tensor::randn({n, K}, rng),
         d = Tensor::randn({n, K - 1}, rng);
  cpu::RqSplineConfig cfg;
  cfg.tail_bound = 5;
  cfg.inverse = state.range(1) != 0;
  NoGradGuard ng;
  for (auto _ : state) benchmark::DoNotOptimize(rq_spline(x, w, h, d, cfg).outputs.raw_data());
  state.counters["elements/s"] = benchmark::Counter(double(n) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_rq_spline)->Args({1 << 16, 0})->Args({1 << 16, 1})->Unit(benchmark::kMillisecond)->UseRealTime();

// -log q(theta | context) forward + backward for a batch of B, paper flow; counter: spectra/s.
static void BM_flow_log_prob_fwd_bwd(benchmark::State& state) {
  const std::int64_t B = state.range(0);
  Rng rng(2);
  nn::SplineFlow flow(nn::SplineFlowOptions{}, rng);
  Tensor theta = Tensor::randn({B, 5}, rng), ctx = Tensor::randn({B, 120}, rng).set_requires_grad();
  for (auto _ : state) {
    sum(flow.log_prob(theta, ctx)).backward();
    flow.zero_grad();
    ctx.zero_grad();
  }
  state.counters["spectra/s"] = benchmark::Counter(double(B) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_flow_log_prob_fwd_bwd)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();

// Posterior draws without gradients: n draws for each of B contexts; counter: draws/s.
static void BM_flow_rsample(benchmark::State& state) {
  const std::int64_t B = state.range(0), n = state.range(1);
  Rng rng(3);
  nn::SplineFlow flow(nn::SplineFlowOptions{}, rng);
  Tensor ctx = Tensor::randn({B, 120}, rng);
  NoGradGuard ng;
  for (auto _ : state) benchmark::DoNotOptimize(flow.rsample(n, ctx, rng).samples.raw_data());
  state.counters["draws/s"] = benchmark::Counter(double(B * n) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_flow_rsample)->Args({2160, 1})->Args({16, 1000})->Unit(benchmark::kMillisecond)->UseRealTime();

// Decoder GRU: 2 layers, bidirectional, hidden 1, 240 steps, forward + backward; counter: spectra/s.
static void BM_gru_fwd_bwd(benchmark::State& state) {
  const std::int64_t B = state.range(0);
  Rng rng(4);
  nn::GRU gru(1, 1, rng, 2, true);
  Tensor x = Tensor::randn({B, 240, 1}, rng).set_requires_grad();
  for (auto _ : state) {
    sum(gru(x)).backward();
    gru.zero_grad();
    x.zero_grad();
  }
  state.counters["spectra/s"] = benchmark::Counter(double(B) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_gru_fwd_bwd)->Arg(512)->Unit(benchmark::kMillisecond)->UseRealTime();
