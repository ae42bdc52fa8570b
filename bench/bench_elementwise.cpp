// Element-wise, reduction, loss, dropout and concat ops on the IC-search autoencoder's activation shape
// (150, C, 2960): forward (+ backward where marked) with GB/s counters from the bytes each pass must move.
#include <benchmark/benchmark.h>

#include "specnet/autograd.h"
#include "specnet/ops.h"

using namespace specnet;

namespace {
constexpr std::int64_t kB = 150, kL = 2960;

void report(benchmark::State& state, double bytes) {
  state.counters["GB/s"] = benchmark::Counter(bytes * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
Tensor act(std::int64_t C, std::uint64_t seed, bool grad = false) {
  Rng rng(seed);
  Tensor t = Tensor::randn({kB, C, kL}, rng);
  if (grad) t.set_requires_grad();
  return t;
}
}  // namespace

static void BM_add_same(benchmark::State& state) {
  Tensor a = act(state.range(0), 1), b = act(state.range(0), 2);
  for (auto _ : state) benchmark::DoNotOptimize(add(a, b).raw_data());
  report(state, 3.0 * 4 * a.numel());
}
static void BM_mul_channel_fwd_bwd(benchmark::State& state) {  // x (B, C, L) * w (1, C, 1)
  const std::int64_t C = state.range(0);
  Tensor x = act(C, 1, true), w = Tensor::ones({1, C, 1}).set_requires_grad(), seed = act(C, 3);
  for (auto _ : state) {
    mul(x, w).backward(seed);
    benchmark::DoNotOptimize(w.grad().raw_data());
    x.zero_grad();
    w.zero_grad();
  }
  // forward: x in, y out; backward: dout, x in, dx out, dw temp out and back in (>= 7 passes)
  report(state, 7.0 * 4 * x.numel());
}
static void BM_relu_fwd_bwd(benchmark::State& state) {
  Tensor x = act(state.range(0), 1, true), seed = act(state.range(0), 3);
  for (auto _ : state) {
    relu(x).backward(seed);
    x.zero_grad();
  }
  report(state, 5.0 * 4 * x.numel());  // x, y; dout, x, dx
}
static void BM_sigmoid(benchmark::State& state) {
  Tensor x = act(state.range(0), 1);
  for (auto _ : state) benchmark::DoNotOptimize(sigmoid(x).raw_data());
  report(state, 2.0 * 4 * x.numel());
}
static void BM_sum_batch_length(benchmark::State& state) {  // per-channel sums, as batchnorm statistics
  Tensor x = act(state.range(0), 1);
  for (auto _ : state) benchmark::DoNotOptimize(sum(x, {0, 2}).raw_data());
  report(state, 4.0 * x.numel());
}
static void BM_mean_all(benchmark::State& state) {
  Tensor x = act(state.range(0), 1);
  for (auto _ : state) benchmark::DoNotOptimize(mean(x).raw_data());
  report(state, 4.0 * x.numel());
}
static void BM_mse_fwd_bwd(benchmark::State& state) {
  Tensor x = act(state.range(0), 1, true), t = act(state.range(0), 2);
  for (auto _ : state) {
    mse_loss(x, t).backward();
    x.zero_grad();
  }
  report(state, 5.0 * 4 * x.numel());  // x, t; x, t, dx
}
static void BM_gaussian_nll_fwd_bwd(benchmark::State& state) {
  const std::int64_t C = state.range(0);
  Tensor x = act(C, 1, true), t = act(C, 2), v = exp(act(C, 3)).detach().set_requires_grad();
  for (auto _ : state) {
    gaussian_nll_loss(x, t, v).backward();
    x.zero_grad();
    v.zero_grad();
  }
  report(state, 8.0 * 4 * x.numel());  // x, t, v; x, t, v, dx, dv
}
static void BM_dropout(benchmark::State& state) {
  Tensor x = act(state.range(0), 1);
  Rng rng(5);
  for (auto _ : state) benchmark::DoNotOptimize(dropout(x, 0.1, true, rng).raw_data());
  report(state, 3.0 * 4 * x.numel());  // x in, mask and y out
}
static void BM_concat_channels(benchmark::State& state) {
  Tensor a = act(state.range(0), 1), b = act(state.range(0), 2);
  for (auto _ : state) benchmark::DoNotOptimize(concat({a, b}, 1).raw_data());
  report(state, 4.0 * 4 * a.numel());
}

#define SPECNET_EW_BENCH(fn) BENCHMARK(fn)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond)->UseRealTime()
SPECNET_EW_BENCH(BM_add_same);
SPECNET_EW_BENCH(BM_mul_channel_fwd_bwd);
SPECNET_EW_BENCH(BM_relu_fwd_bwd);
SPECNET_EW_BENCH(BM_sigmoid);
SPECNET_EW_BENCH(BM_sum_batch_length);
SPECNET_EW_BENCH(BM_mean_all);
SPECNET_EW_BENCH(BM_mse_fwd_bwd);
SPECNET_EW_BENCH(BM_gaussian_nll_fwd_bwd);
SPECNET_EW_BENCH(BM_dropout);
SPECNET_EW_BENCH(BM_concat_channels);
