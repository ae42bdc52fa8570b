// conv1d / conv_transpose1d / batch_norm forward+backward at the IC-search CAE's shapes (batch 150, 2960 bins):
// one benchmark per distinct layer and one for all conv and BN layers of a training step, with GFLOP/s counters.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "specnet/autograd.h"
#include "specnet/ops/batchnorm.h"
#include "specnet/ops/conv.h"

using namespace specnet;

namespace {
constexpr std::int64_t kBatch = 150;

// One conv layer of the network: x (B, C, L) -> (B, O, M).
struct ConvLayer {
  bool transposed;
  std::int64_t C, O, L, K, stride, pad, out_pad;
  std::int64_t out_len() const {
    return transposed ? (L - 1) * stride - 2 * pad + K + out_pad : (L + 2 * pad - K) / stride + 1;
  }
  // forward + input gradient + weight gradient, 2 flops per multiply-add
  double flops() const { return 3.0 * 2.0 * kBatch * C * O * K * (transposed ? L : out_len()); }
};

// Encoder stem, 4 residual blocks (conv1 k3 s2, conv2 k3, skip k1 s2), decoder blocks, final 4 -> 1.
std::vector<ConvLayer> iccae_layers() {
  std::vector<ConvLayer> v{{false, 1, 4, 2960, 3, 2, 1, 0}};
  const std::int64_t ch[] = {4, 16, 32, 64, 128};
  std::int64_t L = 1480;
  for (int i = 0; i < 4; ++i) {
    const std::int64_t M = (L + 1) / 2;
    v.push_back({false, ch[i], ch[i + 1], L, 3, 2, 1, 0});
    v.push_back({false, ch[i + 1], ch[i + 1], M, 3, 1, 1, 0});
    v.push_back({false, ch[i], ch[i + 1], L, 1, 2, 0, 0});
    L = M;
  }
  L = 185;
  for (int i = 4; i > 0; --i) {
    v.push_back({true, ch[i], ch[i - 1], L, 3, 2, 1, 1});
    v.push_back({true, ch[i - 1], ch[i - 1], 2 * L, 3, 1, 1, 0});
    v.push_back({true, ch[i], ch[i - 1], L, 1, 2, 0, 1});
    L *= 2;
  }
  v.push_back({true, 4, 1, 2960, 1, 1, 0, 0});
  return v;
}

struct ConvRun {
  ConvLayer g;
  Tensor x, w, b, seed;
  explicit ConvRun(const ConvLayer& layer) : g(layer) {
    Rng rng(1);
    x = Tensor::randn({kBatch, g.C, g.L}, rng).set_requires_grad();
    w = Tensor::randn(g.transposed ? Shape{g.C, g.O, g.K} : Shape{g.O, g.C, g.K}, rng).set_requires_grad();
    b = Tensor::randn({g.O}, rng).set_requires_grad();
    seed = Tensor::randn({kBatch, g.O, g.out_len()}, rng);
  }
  void step() {
    Tensor y = g.transposed ? conv_transpose1d(x, w, b, g.stride, g.pad, g.out_pad)
                            : conv1d(x, w, b, g.stride, g.pad);
    y.backward(seed);
    benchmark::DoNotOptimize(w.grad().raw_data());
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
  }
};

// Training-mode batch norm over (B, C, L) with affine parameters.
struct BnRun {
  std::int64_t C, L;
  Tensor x, w, b, rm, rv, seed;
  BnRun(std::int64_t channels, std::int64_t length) : C(channels), L(length) {
    Rng rng(2);
    x = Tensor::randn({kBatch, C, L}, rng).set_requires_grad();
    w = Tensor::ones({C}).set_requires_grad();
    b = Tensor::zeros({C}).set_requires_grad();
    rm = Tensor::zeros({C});
    rv = Tensor::ones({C});
    seed = Tensor::randn({kBatch, C, L}, rng);
  }
  void step() {
    Tensor y = batch_norm(x, rm, rv, w, b, true);
    y.backward(seed);
    benchmark::DoNotOptimize(x.grad().raw_data());
    x.zero_grad();
    w.zero_grad();
    b.zero_grad();
  }
};

void set_gflops(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
}  // namespace

static void BM_conv_layer_fwd_bwd(benchmark::State& state) {
  const ConvLayer g = iccae_layers()[state.range(0)];
  ConvRun run(g);
  for (auto _ : state) run.step();
  set_gflops(state, g.flops());
  state.SetLabel(std::string(g.transposed ? "convT " : "conv ") + std::to_string(g.C) + "->" + std::to_string(g.O) +
                 " k" + std::to_string(g.K) + " s" + std::to_string(g.stride) + " L" + std::to_string(g.L) + "->" +
                 std::to_string(g.out_len()));
}
BENCHMARK(BM_conv_layer_fwd_bwd)->DenseRange(0, 25)->Unit(benchmark::kMillisecond)->UseRealTime();

static void BM_batch_norm_fwd_bwd(benchmark::State& state) {
  BnRun run(state.range(0), state.range(1));
  for (auto _ : state) run.step();
  // ~10 flops per element over forward and backward; reported for scale, the op is memory bound.
  set_gflops(state, 10.0 * kBatch * run.C * run.L);
}
BENCHMARK(BM_batch_norm_fwd_bwd)
    ->Args({4, 1480})->Args({16, 740})->Args({128, 93})->Args({64, 370})->Args({4, 2960})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Every conv layer and every batch norm that follows one, forward + backward: the conv/BN share of a step.
static void BM_iccae_conv_bn_step(benchmark::State& state) {
  std::vector<ConvRun> convs;
  std::vector<BnRun> norms;
  double flops = 0;
  for (const ConvLayer& g : iccae_layers()) {
    convs.emplace_back(g);
    flops += g.flops();
    if (g.O > 1) norms.emplace_back(g.O, g.out_len());
  }
  // the decoder's BatchNorm1d after each block
  for (auto [c, l] : {std::pair<std::int64_t, std::int64_t>{64, 370}, {32, 740}, {16, 1480}, {4, 2960}})
    norms.emplace_back(c, l);
  for (auto _ : state) {
    for (auto& c : convs) c.step();
    for (auto& n : norms) n.step();
  }
  set_gflops(state, flops);
}
BENCHMARK(BM_iccae_conv_bn_step)->Unit(benchmark::kMillisecond)->UseRealTime();
