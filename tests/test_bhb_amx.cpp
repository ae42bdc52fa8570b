// The AMX-BF16 GEMM against a double-precision GEMM of the same bf16-rounded inputs (ragged shapes), and
// FastFlowSampler's bf16 path against its float32 path from the same noise; skipped (with a message) without AMX.
#include <cmath>
#include <cstring>

#include "harness.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/context.h"
#include "specnet/cpu/gemm_amx_bf16.h"
#include "specnet/ops/arith.h"

using namespace specnet;
using Precision = bhb::FastFlowSampler::Precision;

namespace {
std::int64_t up(std::int64_t v, std::int64_t m) { return (v + m - 1) / m * m; }

bool skip_without_amx() {
  if (cpu::amx_bf16_available()) return false;
  MESSAGE("AMX-BF16 not available on this CPU / OS: bf16 checks skipped");
  return true;
}

// Paper-size flow (5 features, context 120, 10 transforms, [120, 120, 120], 8 bins) with perturbed weights, so the
// splines are far from the identity.
std::unique_ptr<nn::SplineFlow> paper_flow(std::uint64_t seed, double noise) {
  nn::SplineFlowOptions o;
  Rng rng(seed);
  auto flow = std::make_unique<nn::SplineFlow>(o, rng, DType::f32);
  NoGradGuard ng;
  for (auto& [name, p] : flow->named_parameters()) p.copy_(p + Tensor::randn(p.shape(), rng) * noise);
  return flow;
}

std::vector<float> normals(std::int64_t count, std::uint64_t seed) {
  Rng r(seed);
  std::vector<float> v(count);
  for (auto& x : v) x = static_cast<float>(r.normal());
  return v;
}
}  // namespace

TEST_CASE("amx bf16: rounding to nearest even") {
  CHECK(cpu::float_to_bf16(1.0f) == 0x3f80);
  CHECK(cpu::float_to_bf16(-2.0f) == 0xc000);
  const auto bits = [](std::uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; };
  CHECK(cpu::float_to_bf16(bits(0x3f808000u)) == 0x3f80);  // tie, even below
  CHECK(cpu::float_to_bf16(bits(0x3f818000u)) == 0x3f82);  // tie, even above
  CHECK(cpu::float_to_bf16(bits(0x3f808001u)) == 0x3f81);  // above the tie
  CHECK(std::isnan(cpu::bf16_to_float(cpu::float_to_bf16(std::nanf("")))));
  CHECK(cpu::bf16_to_float(cpu::float_to_bf16(3.0e38f)) > 3.0e38f);  // rounds up to the largest bf16, not inf
}

TEST_CASE("amx bf16: GEMM equals a double GEMM of the bf16-rounded inputs, ragged shapes") {
  if (skip_without_amx()) return;
  const std::int64_t shapes[][3] = {{1, 1, 1}, {5, 7, 3}, {16, 16, 32}, {17, 33, 40}, {23, 100, 95},
                                    {30, 512, 120}, {64, 48, 64}, {33, 15, 130}, {5, 7, 0}};
  std::uint64_t seed = 1;
  for (const auto& s : shapes) {
    const std::int64_t M = s[0], N = s[1], K = s[2];
    CAPTURE(M);
    CAPTURE(N);
    CAPTURE(K);
    const auto a = normals(M * K, seed++), b = normals(K * N, seed++);
    const std::int64_t Mp = up(M, 16), Kp = up(K, 32), Np = up(N, 16), ldc = N + 3;
    std::vector<std::uint16_t> pa(Mp * Kp), pb(Kp * Np);
    cpu::pack_bf16_a(a.data(), M, K, K, pa.data());
    cpu::pack_bf16_b_vnni(b.data(), K, N, N, pb.data());
    const float sentinel = 12345.f;
    std::vector<float> c(M * ldc, sentinel);
    cpu::gemm_amx_bf16(M, N, K, pa.data(), Kp, pb.data(), 16 * Kp, c.data(), ldc);
    double worst = 0;
    bool untouched = true;
    for (std::int64_t i = 0; i < M; ++i) {
      for (std::int64_t j = 0; j < N; ++j) {
        double ref = 0, mag = 0;
        for (std::int64_t k = 0; k < K; ++k) {
          const double p = double(cpu::bf16_to_float(cpu::float_to_bf16(a[i * K + k]))) *
                           cpu::bf16_to_float(cpu::float_to_bf16(b[k * N + j]));
          ref += p, mag += std::abs(p);
        }
        worst = std::max(worst, std::abs(c[i * ldc + j] - ref) / (mag + 1e-30));
      }
      for (std::int64_t j = N; j < ldc; ++j) untouched = untouched && c[i * ldc + j] == sentinel;
    }
    CHECK(worst < 1e-5);  // float32 accumulation of exact bf16 products: a few ulp of sum |a b|
    CHECK(untouched);     // columns past N are never written
  }
  // Bad arguments.
  std::vector<std::uint16_t> pa(16 * 32, 0), pb(16 * 32, 0);
  std::vector<float> c(16 * 16);
  CHECK_THROWS_AS(cpu::gemm_amx_bf16(16, 16, 32, pa.data(), 16, pb.data(), 512, c.data(), 16), Error);  // lda < Kp
  CHECK_THROWS_AS(cpu::gemm_amx_bf16(16, 16, 32, pa.data(), 32, pb.data(), 256, c.data(), 16), Error);  // ldb < 16 Kp
  CHECK_THROWS_AS(cpu::gemm_amx_bf16(-1, 16, 32, pa.data(), 32, pb.data(), 512, c.data(), 16), Error);
}

TEST_CASE("amx bf16: fused bias / ReLU / VNNI output equals the GEMM followed by the scalar epilogue") {
  if (skip_without_amx()) return;
  const std::int64_t shapes[][3] = {{2, 16, 5}, {30, 48, 40}, {32, 512, 96}, {46, 80, 128}, {4, 32, 0}};
  std::uint64_t seed = 40;
  for (const auto& s : shapes) {
    const std::int64_t M = s[0], N = s[1], K = s[2];
    CAPTURE(M);
    const auto a = normals(M * K, seed++), b = normals(K * N, seed++), bias = normals(M, seed++);
    const std::int64_t Mp = up(M, 16), Kp = up(K, 32);
    std::vector<std::uint16_t> pa(Mp * Kp), pb(Kp * N);
    cpu::pack_bf16_a(a.data(), M, K, K, pa.data());
    cpu::pack_bf16_b_vnni(b.data(), K, N, N, pb.data());
    std::vector<float> c(M * N);
    cpu::gemm_amx_bf16(M, N, K, pa.data(), Kp, pb.data(), 16 * Kp, c.data(), N);
    for (bool relu : {false, true}) {
      std::vector<std::uint16_t> out(16 * M * (N / 16), 0xffff);
      cpu::gemm_amx_bf16_vnni_out(M, N, K, pa.data(), Kp, pb.data(), 16 * Kp, bias.data(), relu, out.data(), 16 * M);
      std::int64_t bad = 0;
      for (std::int64_t i = 0; i < M; ++i)
        for (std::int64_t j = 0; j < N; ++j) {
          float v = c[i * N + j] + bias[i];
          if (relu) v = std::max(v, 0.f);
          bad += out[(j / 16) * 16 * M + (i / 2) * 32 + 2 * (j % 16) + i % 2] != cpu::float_to_bf16(v);
        }
      CHECK(bad == 0);
    }
  }
  std::vector<std::uint16_t> pa(32 * 32, 0), pb(32 * 16, 0), out(16 * 32);
  CHECK_THROWS_AS(cpu::gemm_amx_bf16_vnni_out(3, 16, 32, pa.data(), 32, pb.data(), 512, nullptr, true, out.data(), 64),
                  Error);  // odd M
  CHECK_THROWS_AS(cpu::gemm_amx_bf16_vnni_out(2, 8, 32, pa.data(), 32, pb.data(), 512, nullptr, true, out.data(), 64),
                  Error);  // N not a multiple of 16
}

TEST_CASE("bhb FastFlowSampler: precision selection") {
  CHECK(bhb::FastFlowSampler::parse_precision("auto") == Precision::automatic);
  CHECK(bhb::FastFlowSampler::parse_precision("bf16") == Precision::bf16);
  CHECK(bhb::FastFlowSampler::parse_precision("f32") == Precision::f32);
  CHECK_THROWS_AS(bhb::FastFlowSampler::parse_precision("fp16"), Error);
  nn::SplineFlowOptions o;
  o.context_features = 3;
  o.transforms = 2;
  o.hidden = {8, 8};
  Rng rng(1);
  nn::SplineFlow flow(o, rng);
  CHECK(bhb::FastFlowSampler(flow).precision() == Precision::f32);
  const Precision automatic = bhb::FastFlowSampler(flow, Precision::automatic).precision();
  CHECK(automatic == (cpu::amx_bf16_available() ? Precision::bf16 : Precision::f32));
  if (!cpu::amx_bf16_available()) CHECK_THROWS_AS(bhb::FastFlowSampler(flow, Precision::bf16), Error);
}

TEST_CASE("bhb FastFlowSampler: bf16 draws and log q match float32 from the same noise") {
  if (skip_without_amx()) return;
  auto flow = paper_flow(11, 0.1);
  bhb::FastFlowSampler f32(*flow, Precision::f32), bf16(*flow, Precision::bf16);
  REQUIRE(bf16.precision() == Precision::bf16);
  const std::int64_t B = 6, n = 250, D = 5;  // 1500 draws: three blocks, the last one ragged (476 draws)
  const auto ctx = normals(B * 120, 3), z = normals(B * n * D, 4);
  std::vector<float> sa(B * n * D), sb(B * n * D), la(B * n), lb(B * n);
  f32.sample_from_noise(ctx.data(), B, n, z.data(), sa.data(), la.data());
  bf16.sample_from_noise(ctx.data(), B, n, z.data(), sb.data(), lb.data());
  double max_ds = 0, mean_ds = 0, max_dl = 0, mean_dl = 0, spread = 0;
  for (std::size_t i = 0; i < sa.size(); ++i) {
    const double d = std::abs(double(sa[i]) - sb[i]);
    max_ds = std::max(max_ds, d), mean_ds += d / sa.size(), spread += double(sa[i]) * sa[i] / sa.size();
  }
  for (std::size_t i = 0; i < la.size(); ++i) {
    const double d = std::abs(double(la[i]) - lb[i]);
    max_dl = std::max(max_dl, d), mean_dl += d / la.size();
  }
  MESSAGE("bf16 vs f32: samples max ", max_ds, " mean ", mean_ds, " (rms of samples ", std::sqrt(spread),
          "); log q max ", max_dl, " mean ", mean_dl);
  CHECK(std::isfinite(max_ds));
  // Measured (this flow, 1500 draws): samples max 0.022, mean 8.2e-4 (z-scored units, rms 1.06); log q max 0.155,
  // mean 8.6e-3 nats. bf16 keeps 8 significant bits (relative rounding 2^-9 = 2e-3 per weight and activation), and
  // the error compounds over 10 transforms x 3 rounded layers; the bounds are ~2x the measured values. A wrong index
  // or bias in the bf16 path moves draws by O(0.1 - 1).
  CHECK(max_ds < 5e-2);
  CHECK(mean_ds < 2e-3);
  CHECK(max_dl < 0.3);
  CHECK(mean_dl < 2e-2);
  CHECK(mean_ds > 0);  // the two paths really differ (the bf16 one ran)
}

TEST_CASE("bhb FastFlowSampler: bf16 draws do not depend on the thread count or on the batch") {
  if (skip_without_amx()) return;
  auto flow = paper_flow(12, 0.1);
  bhb::FastFlowSampler fast(*flow, Precision::bf16);
  const std::int64_t B = 5, n = 300, D = 5;  // 1500 draws, blocks spanning contexts
  const auto ctx = normals(B * 120, 6);
  std::vector<float> a(B * n * D), b(B * n * D), la(B * n), lb(B * n), c(n * D);
  set_num_threads(1);
  fast.sample(ctx.data(), B, n, 91, a.data(), la.data());
  set_num_threads(2);
  fast.sample(ctx.data(), B, n, 91, b.data(), lb.data());
  set_num_threads(0);
  CHECK(a == b);
  CHECK(la == lb);
  // The first context alone: the same draws up to the float rounding of the (Eigen) context projection.
  fast.sample(ctx.data(), 1, n, 91, c.data());
  double max_d = 0;
  for (std::size_t i = 0; i < c.size(); ++i) max_d = std::max(max_d, double(std::abs(c[i] - a[i])));
  CHECK(max_d < 1e-3);
}
