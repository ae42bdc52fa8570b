// Fit speed: time to fit tbabs*(apec+apec) and tbabs*(apec+powerlaw) (the IC paper's 2T vs 1T+IC comparison) to
// one 1 Ms NuSTAR cluster spectrum (target < 20 ms), and 2T batch-fit throughput on a 1,000-spectrum PHA Type II.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "specnet/context.h"
#include "specnet/fit/batch.h"
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

// Batch throughput: a 1,000-spectrum PHA Type II dataset of 1 Ms NuSTAR 2T clusters (kT_hot 6-9 keV, kT_cool 1.5-3
// keV, per-spectrum priors) written and read back once, every spectrum fitted with the 2T model (fit_dataset,
// 3-50 keV, >= 100 counts per bin, covariance errors); range(0) = threads. Counter fits_per_s.
const io::SpectrumSet& dataset() {
  static const io::SpectrumSet set = [] {
    const Fixture& f = fixture();
    sim::FakeitSetup setup = sim::make_fakeit_setup(sim::builtin_response("nustar"), 1e6);
    auto truth = two_temperature_model(f.cluster, 3e-3);
    sim::DatasetOptions o;
    o.count = 1000;
    o.seed = 7;
    o.progress = false;
    const std::string path = "/tmp/specnet_bench_fit_2t_" + std::to_string(::getpid()) + ".pha";
    sim::simulate_dataset(setup, truth, sim::parse_priors("apec_2.kT=6:9,apec_3.kT=1.5:3"), o, path);
    io::SpectrumSet s = io::read_pha2(path);
    std::remove(path.c_str());
    return s;
  }();
  return set;
}

void BM_fit_dataset_2t(benchmark::State& state) {
  const Fixture& f = fixture();
  const io::SpectrumSet& set = dataset();
  const auto model = two_temperature_model(f.cluster, 1.5e-3);
  FitOptions opt;
  BatchOptions batch;
  batch.progress = false;
  set_num_threads(static_cast<int>(state.range(0)));
  std::int64_t fits = 0;
  for (auto _ : state) {
    const auto results = fit_dataset(set, model, f.matrix, f.spectrum, opt, batch);
    fits += static_cast<std::int64_t>(results.size());
    benchmark::DoNotOptimize(results.data());
  }
  set_num_threads(0);
  state.counters["fits_per_s"] = benchmark::Counter(static_cast<double>(fits), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_fit_dataset_2t)->Arg(1)->Arg(2)->Iterations(1)->Repetitions(2)->UseRealTime()->Unit(benchmark::kSecond);

}  // namespace
