// AMX-BF16 GEMM at the bhb sampler's shapes (32 output units x 512 draws x K = 32..128), plain float output and the
// fused bias / ReLU / bf16 VNNI output, against Eigen float32 on the same shape. Counter: GFLOP/s (2 M N K).
#include <Eigen/Core>
#include <benchmark/benchmark.h>

#include "specnet/cpu/gemm_amx_bf16.h"
#include "specnet/rng.h"

using namespace specnet;

namespace {
std::vector<float> filled(std::int64_t n, std::uint64_t seed) {
  std::vector<float> v(n);
  Rng r(seed);
  for (auto& x : v) x = static_cast<float>(r.normal());
  return v;
}
}  // namespace

// Arguments: M, N, K, fused (0: float output, 1: bias + ReLU + VNNI bf16 output).
static void BM_AmxGemmBf16(benchmark::State& state) {
  if (!cpu::amx_bf16_available()) {
    state.SkipWithError("AMX-BF16 not available");
    return;
  }
  const std::int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const std::int64_t Mp = (M + 15) / 16 * 16, Kp = (K + 31) / 32 * 32, Np = (N + 15) / 16 * 16;
  std::vector<std::uint16_t> a(Mp * Kp), b(Kp * Np), out(16 * Mp * (Np / 16));
  const auto af = filled(M * K, 1), bf = filled(K * N, 2), bias = filled(M, 3);
  cpu::pack_bf16_a(af.data(), M, K, K, a.data());
  cpu::pack_bf16_b_vnni(bf.data(), K, N, N, b.data());
  std::vector<float> c(M * N);
  for (auto _ : state) {
    if (state.range(3))
      cpu::gemm_amx_bf16_vnni_out(M, N, K, a.data(), Kp, b.data(), 16 * Kp, bias.data(), true, out.data(), 16 * Mp);
    else
      cpu::gemm_amx_bf16(M, N, K, a.data(), Kp, b.data(), 16 * Kp, c.data(), N);
    benchmark::DoNotOptimize(c.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K * state.iterations(), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_AmxGemmBf16)
    ->Args({32, 512, 32, 1})->Args({32, 512, 64, 1})->Args({32, 512, 128, 1})->Args({32, 512, 128, 0})
    ->Args({256, 512, 512, 0});

static void BM_EigenGemmF32(benchmark::State& state) {
  const std::int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const auto af = filled(M * K, 1), bf = filled(K * N, 2);
  Eigen::Map<const Eigen::MatrixXf> A(af.data(), M, K), B(bf.data(), K, N);
  Eigen::MatrixXf C(M, N);
  for (auto _ : state) {
    C.noalias() = A * B;
    benchmark::DoNotOptimize(C.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K * state.iterations(), benchmark::Counter::kIsRate,
                                                 benchmark::Counter::kIs1000);
}
BENCHMARK(BM_EigenGemmF32)->Args({32, 512, 32})->Args({32, 512, 128})->Args({256, 512, 512});
