// End-to-end IC-search CAE benchmarks at the paper's shapes (batch 150, 2960 bins, reference widths):
// one Adam training step (forward, loss, backward, update) and eval-mode inference with the anomaly score.
// Counters: spectra/s, achieved GFLOP/s (conv/linear multiply-adds counted analytically, x3 for training), and for
// training the process's peak RSS.
// Peer: bench/peer/cae_torch.py; side by side: bench/peer/compare_cae.py.
#include <benchmark/benchmark.h>

#include "specnet/autograd.h"
#include "specnet/context.h"
#include "specnet/nn/ic_cae.h"
#include "specnet/ops.h"
#include "specnet/optim/adam.h"
#include "specnet/sim/resources.h"

using namespace specnet;

namespace {
constexpr std::int64_t kBatch = 150;

// Forward FLOPs of the reference CAE per spectrum: 2 x multiply-adds of every conv and linear layer.
double forward_flops_per_spectrum(const nn::IcCaeConfig& c) {
  double f = 0;
  std::int64_t L = c.n_bins;
  auto conv = [&](std::int64_t ci, std::int64_t co, std::int64_t k, std::int64_t lout) { f += 2.0 * ci * co * k * lout; };
  L = (L + 1) / 2;
  conv(1, c.channels[0], 3, L);
  for (std::size_t i = 0; i + 1 < c.channels.size(); ++i) {
    L = (L + 1) / 2;
    conv(c.channels[i], c.channels[i + 1], 3, L);
    conv(c.channels[i + 1], c.channels[i + 1], 3, L);
    conv(c.channels[i], c.channels[i + 1], 1, L);
  }
  const double flat = double(L) * c.channels.back();
  f += 2.0 * (flat * c.hidden[0] + c.hidden[0] * c.hidden[1] + c.hidden[1] * c.latent);
  f += 2.0 * c.latent * flat;  // decoder fc1
  for (std::size_t i = c.channels.size() - 1; i > 0; --i) {
    L *= 2;
    conv(c.channels[i], c.channels[i - 1], 3, L);
    conv(c.channels[i - 1], c.channels[i - 1], 3, L);
    conv(c.channels[i], c.channels[i - 1], 1, L);
  }
  conv(c.channels[0], 1, 1, L);
  return f;
}

struct Setup {
  nn::IcCaeConfig cfg;
  Rng rng{1};
  nn::IcCae net{cfg, rng};
  Tensor x, label;
  Setup() {
    Rng data(2);
    x = Tensor::rand({kBatch, 1, cfg.n_bins}, data, 0.0, 1e-2);
    label = Tensor::rand({kBatch, cfg.latent}, data);
  }
};

void BM_cae_train_step(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Setup s;
  optim::AdamOptions o;
  o.lr = 0.01;
  optim::Adam adam(s.net.named_parameters(), o);
  for (auto _ : state) {
    adam.zero_grad();
    Tensor loss = nn::ic_cae_loss(s.net.run(s.x), s.x, s.label, 0.1);
    loss.backward();
    adam.step();
    benchmark::DoNotOptimize(loss.item());
  }
  state.counters["spectra/s"] = benchmark::Counter(double(kBatch) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(3.0 * forward_flops_per_spectrum(s.cfg) * kBatch * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
  state.counters["peak_rss_MiB"] = sim::peak_rss_mb();  // of the process so far (run one benchmark per process)
  set_num_threads(0);
}

void BM_cae_inference(benchmark::State& state) {
  set_num_threads(static_cast<int>(state.range(0)));
  Setup s;
  s.net.eval();
  NoGradGuard ng;
  for (auto _ : state) {
    Tensor score = mean(pow(sub(s.net.forward(s.x), s.x), 2.0), {1, 2});  // (B) anomaly score Ra
    benchmark::DoNotOptimize(score.raw_data());
  }
  state.counters["spectra/s"] = benchmark::Counter(double(kBatch) * state.iterations(), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(forward_flops_per_spectrum(s.cfg) * kBatch * state.iterations() / 1e9,
                                                 benchmark::Counter::kIsRate);
  set_num_threads(0);
}
}  // namespace

BENCHMARK(BM_cae_train_step)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_cae_inference)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
