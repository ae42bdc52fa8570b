// Fit speed: time to fit tbabs*(apec+apec) and tbabs*(apec+powerlaw) (the IC paper's 2T vs 1T+IC comparison) to
// one 1 Ms NuSTAR cluster spectrum, 3-50 keV grouped to >= 100 counts, cstat, no intervals; target < 20 ms.
#include <benchmark/benchmark.h>

#include <memory>

#include "specnet/fit/model_compare.h"
#include "specnet/sim/fakeit.h"

using namespace specnet;
using namespace specnet::fit;

namespace {

struct Fixture {
  std::shared_ptr<const io::SparseResponse> matrix;
  std::vector<double> counts;
  SpectrumOptions spectrum;
  ClusterSetup cluster;
};

const Fixture& fixture() {
  static const Fixture f = [] {
    Fixture x;
    sim::FakeitSetup setup = sim::make_fakeit_setup(sim::builtin_response("nustar"), 1e6);
    x.matrix = std::make_shared<const io::SparseResponse>(setup.matrix);
    auto truth = two_temperature_model(x.cluster, 1.0);
    truth.set("apec_2.kT", 7.0);
    truth.set("apec_2.norm", 3e-3);
    truth.set("apec_3.kT", 2.0);
    truth.set("apec_3.norm", 3e-3);
    const auto photons = truth.evaluate(setup.response.energy_edges_kev());
    x.counts = sim::fake_counts(setup, photons.data(), 1, 0);
    x.spectrum.e_min_kev = 3;
    x.spectrum.e_max_kev = 50;
    x.spectrum.min_counts = 100;
    return x;
  }();
  return f;
}

// range(0): 0 = 2T fit alone, 1 = 1T+IC fit alone, 2 = both (compare_2t_vs_ic, including problem setup).
void BM_fit_cluster(benchmark::State& state) {
  const Fixture& f = fixture();
  FitOptions opt;
  opt.errors = true;
  for (auto _ : state) {
    if (state.range(0) == 2) {
      const ModelComparison c = compare_2t_vs_ic(f.matrix, f.counts, 1e6, f.spectrum, f.cluster, opt);
      benchmark::DoNotOptimize(c.delta_c);
      continue;
    }
    auto model = state.range(0) == 0 ? two_temperature_model(f.cluster, 1.5e-3) : thermal_plus_ic_model(f.cluster, 3e-3);
    FitProblem problem(model, f.matrix, f.counts, 1e6, f.spectrum);
    const FitResult r = fit_model(problem, opt);
    benchmark::DoNotOptimize(r.statistic);
  }
}
BENCHMARK(BM_fit_cluster)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->Repetitions(5)->ReportAggregatesOnly(true);

}  // namespace
