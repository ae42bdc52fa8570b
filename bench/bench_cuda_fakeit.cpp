// GPU fakeit throughput: spectra/s for tbabs*(apec+apec) (or tbabs*(apec+powerlaw)) + nuskybgd background through
// the built-in NuSTAR response at 1 Ms, counts left on the device, against simulate_block on 2 CPU threads.
#ifdef SPECNET_WITH_CUDA
#include <benchmark/benchmark.h>

#include <chrono>

#include "specnet/context.h"
#include "specnet/cuda/fakeit.h"
#include "specnet/cuda/runtime.h"
#include "specnet/sim/fakeit.h"
#include "nustar_fakeit_setup.h"

using namespace specnet;
using namespace specnet::sim;

namespace {

const FakeitSetup& setup() { return bench::nustar_fakeit_setup(); }

// 0: the 2T model with bench_fakeit's priors; 1: the 1T+IC model tbabs*(apec+powerlaw).
CompositeModel model_of(int which) { return CompositeModel(which == 0 ? "tbabs*(apec+apec)" : "tbabs*(apec+powerlaw)"); }
std::vector<Prior> priors_of(int which) {
  return which == 0 ? parse_priors("tbabs_1.nH=0.1:10:log,apec_2.kT=0.5:3,apec_2.norm=1e-3:1e-1:log,apec_3.kT=2:8,"
                                   "apec_3.norm=1e-3:1e-1:log")
                    : parse_priors("tbabs_1.nH=0.1:10:log,apec_2.kT=1:10,apec_2.norm=1e-3:1e-1:log,"
                                   "powerlaw_3.PhoIndex=1.2:2.8,powerlaw_3.norm=1e-4:1e-2:log");
}

// simulate_block on 2 threads, measured once per model (the reference for the speed-up counter).
double cpu_rate(int which) {
  static double rate[2] = {0, 0};
  if (rate[which] > 0) return rate[which];
  const CompositeModel m = model_of(which);
  const std::int64_t n = 1024, H = 4096;
  std::vector<double> counts(n * H), params(n * m.num_params());
  set_num_threads(2);
  simulate_block(setup(), m, priors_of(which), 1, 0, 64, counts.data(), params.data());  // warm caches
  const auto t0 = std::chrono::steady_clock::now();
  simulate_block(setup(), m, priors_of(which), 1, 0, n, counts.data(), params.data());
  rate[which] = n / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  set_num_threads(0);
  return rate[which];
}

// range(0): spectra per call; range(1): model; range(2): spectra per GPU batch (workspace ~100 kB each).
void BM_cuda_fakeit_nustar(benchmark::State& state) {
  if (!cuda::cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const std::int64_t n = state.range(0);
  const int which = static_cast<int>(state.range(1));
  const CompositeModel model = model_of(which);
  cuda::FakeitSimulator gpu(setup(), model, priors_of(which), state.range(2));
  const std::int64_t H = gpu.num_channels(), P = gpu.num_params();
  const std::size_t counts_bytes = sizeof(std::int32_t) * n * H, params_bytes = sizeof(double) * n * P;
  auto* counts = static_cast<std::int32_t*>(cuda::device_alloc(counts_bytes));  // (n, H)
  auto* params = static_cast<double*>(cuda::device_alloc(params_bytes));        // (n, P)
  std::int64_t first = 0;
  gpu.simulate_device(1, first, n, counts, params);  // workspace allocation and first-launch costs
  const auto t0 = std::chrono::steady_clock::now();
  for (auto _ : state) {
    first += n;
    gpu.simulate_device(1, first, n, counts, params);  // returns after a device synchronisation
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  cuda::device_free(counts, counts_bytes);
  cuda::device_free(params, params_bytes);
  const double rate = double(n) * state.iterations() / seconds, cpu = cpu_rate(which);
  state.counters["spectra/s"] = rate;
  state.counters["cpu2_spectra/s"] = cpu;
  state.counters["gpu/cpu2"] = rate / cpu;
  state.SetLabel(model.expression());
}

}  // namespace

BENCHMARK(BM_cuda_fakeit_nustar)
    ->Args({1 << 16, 0, 1 << 16})
    ->Args({1 << 18, 0, 1 << 18})
    ->Args({1000000, 0, 1 << 17})
    ->Args({1000000, 0, 1 << 18})
    ->Args({1000000, 1, 1 << 18})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
#endif  // SPECNET_WITH_CUDA
