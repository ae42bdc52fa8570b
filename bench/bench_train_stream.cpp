// One IC training epoch from a spectra file held in memory or streamed from disk under a memory budget (pread of
// each batch's rows, io::RecordSource): training spectra/s, the file's size and the process's peak RSS.
// Run one variant per process to read its peak: --benchmark_filter=BM_ic_train_epoch/0 (memory) or /1 (streamed).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "specnet/context.h"
#include "specnet/ic/train.h"
#include "specnet/sim/resources.h"

using namespace specnet;

namespace {

// 2,000 spectra of the stored 3-80 keV NuSTAR channels (1,925) with Poisson-like counts: 14.7 MiB of counts.
// The file lives as long as the process (removed at exit).
struct BenchFile {
  std::string path;
  ~BenchFile() { std::remove(path.c_str()); }
};

const std::string& bench_file() {
  static const BenchFile file{[] {
    ic::IcSpectra s;
    s.first_channel = 35;
    s.num_channels = 1925;
    s.exposure_s = 1e6;
    Rng rng(3);
    for (std::int64_t i = 0; i < 2000; ++i) {
      s.kind.push_back(ic::SpectrumKind::two_temperature);
      s.truth.push_back({0.01 + 0.09 * rng.uniform(), 0.1 + 0.9 * rng.uniform(), 1 + 9 * rng.uniform(), 0.5, 0, 0, 0});
      s.fit_kt_kev.push_back(1 + 9 * rng.uniform());
      s.fit_norm.push_back(0.01 + rng.uniform());
      for (std::int64_t c = 0; c < s.num_channels; ++c)
        s.counts.push_back(static_cast<float>(std::floor(2000.0 * std::exp(-0.004 * double(c)) * (0.5 + rng.uniform()))));
    }
    const std::string p = "/tmp/specnet_bench_train_stream_" + std::to_string(::getpid()) + ".bin";
    ic::write_ic_spectra(p, s);
    return p;
  }()};
  return file.path;
}

// range(0): 0 = in memory (512 MiB budget), 1 = streamed (4 MiB budget). One thread.
void BM_ic_train_epoch(benchmark::State& state) {
  set_num_threads(1);
  const std::string& path = bench_file();
  const ic::IcSpectraSource src = ic::open_ic_spectra(path, state.range(0) ? 4u << 20 : 512u << 20);
  const ic::LabelScaler scaler = ic::fit_label_scaler(src.meta);
  const std::int64_t bins = ic::network_bins(src.meta.num_channels);
  const ic::ModelData d = ic::make_model_data(src, bins, false, &scaler);
  std::vector<std::int64_t> tr, va;
  for (std::int64_t i = 0; i < d.size(); ++i) (i % 10 == 9 ? va : tr).push_back(i);
  nn::IcCaeConfig cfg;
  cfg.n_bins = bins;
  cfg.channels = {4, 8, 12, 16, 24};  // narrow, so that data access is a visible part of the epoch
  cfg.hidden = {16, 8};
  ic::TrainOptions t;
  t.epochs = 1;
  t.batch = 150;
  t.progress = false;
  for (auto _ : state) {
    Rng init(1, 7);
    nn::IcCae net(cfg, init);
    benchmark::DoNotOptimize(ic::train_ic_model(net, d, tr, va, t).best_val_loss);
  }
  state.counters["spectra/s"] = benchmark::Counter(double(tr.size()) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["streamed"] = d.counts.streamed();
  state.counters["file_MiB"] = double(d.size()) * double(src.meta.num_channels) * 4 / (1024.0 * 1024.0);
  state.counters["peak_rss_MiB"] = sim::peak_rss_mb();
  set_num_threads(0);
}
BENCHMARK(BM_ic_train_epoch)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace
