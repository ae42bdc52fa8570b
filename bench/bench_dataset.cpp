// Streamed dataset generation (simulate_dataset -> PHA Type II file) under a memory budget: spectra/s and the
// process's peak RSS, which must stay near the fixed cost however many spectra are written (docs/reliability.md).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "specnet/sim/fakeit.h"
#include "specnet/sim/resources.h"

using namespace specnet;
using namespace specnet::sim;

namespace {

// range(0): spectra; range(1): memory budget (MiB).
void BM_simulate_dataset_nustar(benchmark::State& state) {
  static const FakeitSetup setup = make_fakeit_setup(builtin_response("nustar"), 1e5);
  const CompositeModel model("tbabs*powerlaw");
  const std::vector<Prior> priors = parse_priors("powerlaw_2.PhoIndex=1.5:2.5,powerlaw_2.norm=1e-3:1e-1:log");
  DatasetOptions d;
  d.count = state.range(0);
  d.memory_budget_mb = state.range(1);
  d.progress = false;
  const std::string path = "/tmp/specnet_bench_dataset_" + std::to_string(::getpid()) + ".pha";
  for (auto _ : state) simulate_dataset(setup, model, priors, d, path);
  std::remove(path.c_str());
  state.counters["spectra/s"] = benchmark::Counter(double(d.count) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["dataset_MiB"] = double(d.count) * double(setup.matrix.num_outputs()) * 8 / (1024.0 * 1024.0);
  state.counters["peak_rss_MiB"] = peak_rss_mb();
}
BENCHMARK(BM_simulate_dataset_nustar)->Args({2000, 16})->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

}  // namespace
