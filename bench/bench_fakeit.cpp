// fakeit throughput: spectra/s for tbabs*(apec+apec) + nuskybgd background through the built-in NuSTAR response
// at 1 Ms (model evaluation, sparse folding, Poisson sampling), 1 and 2 threads; target 5,000/s on 2 cores.
#include <benchmark/benchmark.h>

#include "specnet/context.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/model.h"
#include "specnet/sim/resources.h"
#include "nustar_fakeit_setup.h"

using namespace specnet;
using namespace specnet::sim;

namespace {

const char* expression() { return "tbabs*(apec+apec)"; }

const FakeitSetup& setup() { return bench::nustar_fakeit_setup(); }

// range(0): threads; range(1): 0 = the target model, 1 = a bare powerlaw (isolates folding + Poisson cost).
void BM_fakeit_nustar(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  const char* expr = state.range(1) == 0 ? expression() : "powerlaw";
  CompositeModel model(expr);
  const std::vector<Prior> priors =
      state.range(1) == 0
          ? parse_priors("tbabs_1.nH=0.1:10:log,apec_2.kT=0.5:3,apec_2.norm=1e-3:1e-1:log,apec_3.kT=2:8,"
                         "apec_3.norm=1e-3:1e-1:log")
          : parse_priors("powerlaw_1.PhoIndex=1.5:2.5,powerlaw_1.norm=1e-3:1e-1:log");
  const std::int64_t n = 512, H = 4096;
  std::vector<double> counts(n * H), params(n * model.num_params());
  std::int64_t first = 0;
  for (auto _ : state) {
    simulate_block(setup(), model, priors, 1, first, n, counts.data(), params.data());
    first += n;
    benchmark::DoNotOptimize(counts.data());
  }
  state.counters["spectra/s"] = benchmark::Counter(double(n) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["peak_rss_MiB"] = peak_rss_mb();  // process peak so far (getrusage)
  state.SetLabel(expr);
  set_num_threads(0);
}
BENCHMARK(BM_fakeit_nustar)->Args({1, 0})->Args({2, 0})->Args({1, 1})->Args({2, 1})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);  // enough iterations to amortise setup()

}  // namespace
