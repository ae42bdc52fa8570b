// Linear forward+backward at the IC-search CAE's dense shapes (batch 150): GFLOP/s counters.
#include <benchmark/benchmark.h>

#include "specnet/autograd.h"
#include "specnet/ops/linear.h"

using namespace specnet;

static void BM_linear_fwd_bwd(benchmark::State& state) {
  const std::int64_t N = 150, I = state.range(0), O = state.range(1);
  Rng rng(1);
  Tensor x = Tensor::randn({N, I}, rng).set_requires_grad();
  Tensor w = Tensor::randn({O, I}, rng).set_requires_grad();
  Tensor b = Tensor::randn({O}, rng).set_requires_grad();
  Tensor seed = Tensor::ones({N, O});
  for (auto _ : state) {
    Tensor y = linear(x, w, b);
    y.backward(seed);
    benchmark::DoNotOptimize(w.grad().raw_data());
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
  }
  const double flops = 3.0 * 2.0 * N * I * O;  // forward + two backward GEMMs
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_linear_fwd_bwd)->Args({11904, 500})->Args({500, 50})->Args({4, 23680})->Unit(benchmark::kMillisecond)->UseRealTime();
