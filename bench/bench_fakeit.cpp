// fakeit throughput: spectra/s for tbabs*(apec+apec) + nuskybgd background through the built-in NuSTAR response
// at 1 Ms (model evaluation, sparse folding, Poisson sampling), 1 and 2 threads; target 5,000/s on 2 cores.
#include <benchmark/benchmark.h>

#include "specnet/context.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/model.h"
#include "specnet/sim/nustar_background.h"

using namespace specnet;
using namespace specnet::sim;

namespace {

// apec joins the model registry when its branch registers it; until then the benchmark runs the same
// two-temperature structure with bremss and says so in its label.
const char* expression() { return has_model("apec") ? "tbabs*(apec+apec)" : "tbabs*(bremss+bremss)"; }

const FakeitSetup& setup() {
  static const FakeitSetup s = [] {
    InstrumentResponse r = builtin_response("nustar");
    NustarRegion src, bkg;
    bkg.area_arcmin2 = 4 * src.area_arcmin2;
    std::vector<double> rate = nustar_background(r, bkg).total;
    return make_fakeit_setup(std::move(r), 1e6, rate, nustar_backscal(src.area_arcmin2),
                             nustar_backscal(bkg.area_arcmin2));
  }();
  return s;
}

void BM_fakeit_nustar(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  CompositeModel model(expression());
  const std::vector<Prior> priors = {{model.params()[1].name, 0.5, 3.0, false},
                                     {model.params().back().name, 1e-3, 1e-1, true}};
  const std::int64_t n = 512, H = 4096;
  std::vector<double> counts(n * H), params(n * model.num_params());
  std::int64_t first = 0;
  for (auto _ : state) {
    simulate_block(setup(), model, priors, 1, first, n, counts.data(), params.data());
    first += n;
    benchmark::DoNotOptimize(counts.data());
  }
  state.counters["spectra/s"] = benchmark::Counter(double(n) * state.iterations(), benchmark::Counter::kIsRate);
  state.SetLabel(expression());
  set_num_threads(0);
}
BENCHMARK(BM_fakeit_nustar)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
