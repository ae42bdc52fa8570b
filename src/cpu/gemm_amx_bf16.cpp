// AMX-BF16 GEMM: 2 x 2 blocks of 16 x 16 float32 accumulator tiles fed by TDPBF16PS over 32-wide K steps, with CPUID /
// XCR0 / arch_prctl detection. Same arithmetic as a bf16 x bf16 -> fp32-accumulate matmul (torch / oneDNN on AMX).
#include "specnet/cpu/gemm_amx_bf16.h"

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bf16_vnni_pair.h"
#include "specnet/error.h"

namespace specnet::cpu {
namespace {

#define SPECNET_AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512bf16")))

constexpr long kArchReqXcompPerm = 0x1023;  // arch_prctl: request permission for an XSAVE feature
constexpr long kXfeatureXtiledata = 18;

std::uint64_t xgetbv0() {
  std::uint32_t lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (std::uint64_t(hi) << 32) | lo;
}

bool detect_amx_bf16() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE: XGETBV usable
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool avx512f = b & (1u << 16), amx_bf16 = d & (1u << 22), amx_tile = d & (1u << 24);
  if (!avx512f || !amx_bf16 || !amx_tile) return false;
  if (!__get_cpuid_count(7, 1, &a, &b, &c, &d) || !(a & (1u << 5))) return false;  // AVX512-BF16
  const std::uint64_t xcr0 = xgetbv0();
  const std::uint64_t need = (1u << 1) | (1u << 2) | (7u << 5) | (3u << 17);  // SSE, AVX, AVX-512, TILECFG+TILEDATA
  if ((xcr0 & need) != need) return false;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

// Palette 1, tiles 0-3: float32 accumulators (16 x 16), 4-5: A (16 rows x 32 bf16), 6-7: B (16 pair rows x 16 x 2).
struct alignas(64) TileConfig {
  std::uint8_t palette = 1, start_row = 0;
  std::uint8_t reserved[14] = {};
  std::uint16_t colsb[16] = {};
  std::uint8_t rows[16] = {};
};

SPECNET_AMX_TARGET void configure_tiles_once() {
  thread_local bool configured = false;  // tile configuration is per-thread state
  if (configured) return;
  TileConfig cfg;
  for (int t = 0; t < 8; ++t) cfg.colsb[t] = 64, cfg.rows[t] = 16;
  // ldtilecfg through asm with a memory operand: GCC 12's _tile_loadconfig builtin does not tell the optimiser that it
  // reads cfg, and the colsb stores were removed as dead at -O2.
  __asm__ volatile("ldtilecfg %0" : : "m"(cfg));
  configured = true;
}

// Copies the valid rows x cols part of a 16 x 16 scratch tile to c.
inline void copy_partial(const float* tmp, float* c, std::int64_t ldc, std::int64_t rows, std::int64_t cols) {
  for (std::int64_t i = 0; i < std::min<std::int64_t>(rows, 16); ++i)
    std::memcpy(c + i * ldc, tmp + i * 16, sizeof(float) * std::min<std::int64_t>(cols, 16));
}

// Stores accumulator tile T (a literal: the tile intrinsics take immediates) to c, through a scratch tile when only
// rows x cols of it are valid.
#define SPECNET_STORE_TILE(T, c, ldc, rows, cols)        \
  do {                                                   \
    if ((rows) >= 16 && (cols) >= 16) {                  \
      _tile_stored(T, (c), (ldc) * 4);                   \
    } else {                                             \
      alignas(64) float tmp[16 * 16];                    \
      _tile_stored(T, tmp, 64);                          \
      copy_partial(tmp, (c), (ldc), (rows), (cols));     \
    }                                                    \
  } while (0)

// rows (even) x cols (multiple of 16) floats + bias, optional ReLU -> bf16 VNNI pairs (round to nearest even).
SPECNET_AMX_TARGET inline void epilogue_vnni(const float* c, std::int64_t ldc, std::int64_t rows, std::int64_t cols,
                                             const float* bias, bool relu, std::uint16_t* out, std::int64_t ldo) {
  const __m512 zero = _mm512_setzero_ps();
  for (std::int64_t r = 0; r < rows; r += 2) {
    const __m512 b0 = _mm512_set1_ps(bias ? bias[r] : 0.f), b1 = _mm512_set1_ps(bias ? bias[r + 1] : 0.f);
    const float* c0 = c + r * ldc;
    for (std::int64_t j = 0; j < cols; j += 16) {
      std::uint16_t* o = out + (j / 16) * ldo + (r / 2) * 32;
      __m512 x0 = _mm512_add_ps(_mm512_loadu_ps(c0 + j), b0), x1 = _mm512_add_ps(_mm512_loadu_ps(c0 + ldc + j), b1);
      if (relu) x0 = _mm512_max_ps(x0, zero), x1 = _mm512_max_ps(x1, zero);
      detail::store_vnni_pair(o, x0, x1);
    }
  }
}

// Where a block's accumulators go: plain float rows, or through the bias / ReLU / bf16 VNNI epilogue.
struct VnniSink {
  const float* bias;
  bool relu;
  std::uint16_t* out;
  std::int64_t ldo;
};

// One (16 MT) x (16 NT) block of c over the padded depth Kp; with a sink, c is unused and the block goes to
// sink->out (rows r, columns j of the block at pair row r / 2, column j).
template <int MT, int NT, bool kHoldA>
SPECNET_AMX_TARGET void block(std::int64_t Kp, const std::uint16_t* a, std::int64_t lda, const std::uint16_t* b,
                              std::int64_t ldb, float* c, std::int64_t ldc, std::int64_t rows, std::int64_t cols,
                              const VnniSink* sink) {
  _tile_zero(0);
  if constexpr (NT > 1) _tile_zero(1);
  if constexpr (MT > 1) _tile_zero(2);
  if constexpr (MT > 1 && NT > 1) _tile_zero(3);
  for (std::int64_t k = 0; k < Kp; k += 32) {
    if constexpr (!kHoldA) _tile_loadd(4, a + k, lda * 2);
    _tile_loadd(6, b + (k / 2) * 32, 64);
    _tile_dpbf16ps(0, 4, 6);
    if constexpr (NT > 1) {
      _tile_loadd(7, b + ldb + (k / 2) * 32, 64);
      _tile_dpbf16ps(1, 4, 7);
    }
    if constexpr (MT > 1) {
      if constexpr (!kHoldA) _tile_loadd(5, a + 16 * lda + k, lda * 2);
      _tile_dpbf16ps(2, 5, 6);
      if constexpr (NT > 1) _tile_dpbf16ps(3, 5, 7);
    }
  }
  if (sink) {
    alignas(64) float tmp[32 * 32];  // (rows, cols) of the block, leading dimension 32
    _tile_stored(0, tmp, 128);
    if constexpr (NT > 1) _tile_stored(1, tmp + 16, 128);
    if constexpr (MT > 1) _tile_stored(2, tmp + 16 * 32, 128);
    if constexpr (MT > 1 && NT > 1) _tile_stored(3, tmp + 16 * 32 + 16, 128);
    epilogue_vnni(tmp, 32, std::min<std::int64_t>(rows, 16 * MT), std::min<std::int64_t>(cols, 16 * NT), sink->bias,
                  sink->relu, sink->out, sink->ldo);
    return;
  }
  SPECNET_STORE_TILE(0, c, ldc, rows, cols);
  if constexpr (NT > 1) SPECNET_STORE_TILE(1, c + 16, ldc, rows, cols - 16);
  if constexpr (MT > 1) SPECNET_STORE_TILE(2, c + 16 * ldc, ldc, rows - 16, cols);
  if constexpr (MT > 1 && NT > 1) SPECNET_STORE_TILE(3, c + 16 * ldc + 16, ldc, rows - 16, cols - 16);
}

// A 32-row block over one 16-column panel at Kp = 64 with all four A tiles held by the caller (tiles 1, 3: k 0-31,
// rows 0-15 / 16-31; tiles 4, 5: k 32-63): two B tile loads per panel instead of two A and one B per k step.
SPECNET_AMX_TARGET void block_k64_held_a(const std::uint16_t* b, float* c, std::int64_t ldc, std::int64_t rows,
                                         std::int64_t cols, const VnniSink* sink) {
  _tile_zero(0);
  _tile_zero(2);
  _tile_loadd(6, b, 64);
  _tile_loadd(7, b + 16 * 32, 64);
  _tile_dpbf16ps(0, 1, 6);
  _tile_dpbf16ps(2, 3, 6);
  _tile_dpbf16ps(0, 4, 7);
  _tile_dpbf16ps(2, 5, 7);
  if (sink) {
    alignas(64) float tmp[32 * 16];  // (rows, 16), leading dimension 16
    _tile_stored(0, tmp, 64);
    _tile_stored(2, tmp + 16 * 16, 64);
    epilogue_vnni(tmp, 16, rows, std::min<std::int64_t>(cols, 16), sink->bias, sink->relu, sink->out, sink->ldo);
    return;
  }
  SPECNET_STORE_TILE(0, c, ldc, rows, cols);
  SPECNET_STORE_TILE(2, c + 16 * ldc, ldc, rows - 16, cols);
}

SPECNET_AMX_TARGET void gemm_tiles(std::int64_t M, std::int64_t N, std::int64_t K, const std::uint16_t* a,
                                   std::int64_t lda, const std::uint16_t* b, std::int64_t ldb, float* c,
                                   std::int64_t ldc, const VnniSink* sink) {
  configure_tiles_once();
  const std::int64_t Kp = (K + 31) / 32 * 32;
  for (std::int64_t i = 0; i < M; i += 32) {
    const std::int64_t rows = std::min<std::int64_t>(32, M - i);
    const std::uint16_t* ai = a + i * lda;
    // A single 32-deep step: this row block's A tiles stay loaded across all its column blocks.
    const bool hold_a = Kp == 32;
    if (hold_a) {
      _tile_loadd(4, ai, lda * 2);
      if (rows > 16) _tile_loadd(5, ai + 16 * lda, lda * 2);
    }
    if (Kp == 64 && rows > 16) {
      _tile_loadd(1, ai, lda * 2);
      _tile_loadd(3, ai + 16 * lda, lda * 2);
      _tile_loadd(4, ai + 32, lda * 2);
      _tile_loadd(5, ai + 16 * lda + 32, lda * 2);
      for (std::int64_t j = 0; j < N; j += 16) {
        VnniSink part;
        if (sink) part = {sink->bias ? sink->bias + i : nullptr, sink->relu, sink->out + (j / 16) * sink->ldo + (i / 2) * 32, sink->ldo};
        block_k64_held_a(b + (j / 16) * ldb, c ? c + i * ldc + j : nullptr, ldc, rows, N - j, sink ? &part : nullptr);
      }
      continue;
    }
    for (std::int64_t j = 0; j < N; j += 32) {
      const std::int64_t cols = std::min<std::int64_t>(32, N - j);
      const std::uint16_t* bj = b + (j / 16) * ldb;
      float* cij = c ? c + i * ldc + j : nullptr;
      VnniSink part;
      if (sink) part = {sink->bias ? sink->bias + i : nullptr, sink->relu, sink->out + (j / 16) * sink->ldo + (i / 2) * 32, sink->ldo};
      const VnniSink* sk = sink ? &part : nullptr;
      if (hold_a) {
        if (rows > 16 && cols > 16) block<2, 2, true>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
        else if (rows > 16) block<2, 1, true>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
        else if (cols > 16) block<1, 2, true>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
        else block<1, 1, true>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
      } else {
        if (rows > 16 && cols > 16) block<2, 2, false>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
        else if (rows > 16) block<2, 1, false>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
        else if (cols > 16) block<1, 2, false>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
        else block<1, 1, false>(Kp, ai, lda, bj, ldb, cij, ldc, rows, cols, sk);
      }
    }
  }
}

}  // namespace

bool amx_bf16_available() {
  static const bool ok = detect_amx_bf16();  // C++11 static initialisation: once, thread-safe
  return ok;
}

std::uint16_t float_to_bf16(float v) {
  std::uint32_t u;
  std::memcpy(&u, &v, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((u >> 16) | 0x40);  // quiet NaN
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<std::uint16_t>(u >> 16);
}

float bf16_to_float(std::uint16_t v) {
  const std::uint32_t u = std::uint32_t(v) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

void gemm_amx_bf16(std::int64_t M, std::int64_t N, std::int64_t K, const std::uint16_t* a, std::int64_t lda,
                   const std::uint16_t* b, std::int64_t ldb, float* c, std::int64_t ldc) {
  SPECNET_CHECK(amx_bf16_available(), "gemm_amx_bf16: this CPU or OS does not provide AMX-BF16");
  SPECNET_CHECK(M >= 0 && N >= 0 && K >= 0, "gemm_amx_bf16: negative dimension (", M, ", ", N, ", ", K, ")");
  if (M == 0 || N == 0) return;
  const std::int64_t Kp = (K + 31) / 32 * 32;
  SPECNET_CHECK(c && (K == 0 || (a && b)), "gemm_amx_bf16: null operand");
  SPECNET_CHECK(lda >= Kp && ldb >= 16 * Kp && ldc >= N, "gemm_amx_bf16: leading dimensions (", lda, ", ", ldb, ", ",
                ldc, ") too small for the padded shape (", M, ", ", N, ", ", K, ")");
  if (K == 0) {
    for (std::int64_t i = 0; i < M; ++i) std::fill(c + i * ldc, c + i * ldc + N, 0.f);
    return;
  }
  gemm_tiles(M, N, K, a, lda, b, ldb, c, ldc, nullptr);
}

void gemm_amx_bf16_vnni_out(std::int64_t M, std::int64_t N, std::int64_t K, const std::uint16_t* a, std::int64_t lda,
                            const std::uint16_t* b, std::int64_t ldb, const float* bias, bool relu, std::uint16_t* out,
                            std::int64_t ldo) {
  SPECNET_CHECK(amx_bf16_available(), "gemm_amx_bf16_vnni_out: this CPU or OS does not provide AMX-BF16");
  SPECNET_CHECK(M >= 0 && N >= 0 && K >= 0 && M % 2 == 0 && N % 16 == 0,
                "gemm_amx_bf16_vnni_out: need M even and N a multiple of 16, got (", M, ", ", N, ", ", K, ")");
  if (M == 0 || N == 0) return;
  const std::int64_t Kp = (K + 31) / 32 * 32;
  SPECNET_CHECK(out && (K == 0 || (a && b)), "gemm_amx_bf16_vnni_out: null operand");
  SPECNET_CHECK(lda >= Kp && ldb >= 16 * Kp && ldo >= 16 * M, "gemm_amx_bf16_vnni_out: leading dimensions (", lda, ", ",
                ldb, ", ", ldo, ") too small for the padded shape (", M, ", ", N, ", ", K, ")");
  if (K == 0) {
    const std::vector<float> zero(M * N, 0.f);
    epilogue_vnni(zero.data(), N, M, N, bias, relu, out, ldo);
    return;
  }
  const VnniSink sink{bias, relu, out, ldo};
  gemm_tiles(M, N, K, a, lda, b, ldb, nullptr, 0, &sink);
}

void pack_bf16_a(const float* w, std::int64_t rows, std::int64_t cols, std::int64_t ld, std::uint16_t* out) {
  const std::int64_t Mp = (rows + 15) / 16 * 16, Kp = (cols + 31) / 32 * 32;
  std::fill(out, out + Mp * Kp, std::uint16_t(0));
  for (std::int64_t i = 0; i < rows; ++i)
    for (std::int64_t k = 0; k < cols; ++k) out[i * Kp + k] = float_to_bf16(w[i * ld + k]);
}

void pack_bf16_b_vnni(const float* b, std::int64_t K, std::int64_t N, std::int64_t ld, std::uint16_t* out) {
  const std::int64_t Kp = (K + 31) / 32 * 32, Np = (N + 15) / 16 * 16;
  std::fill(out, out + Kp * Np, std::uint16_t(0));
  for (std::int64_t k = 0; k < K; ++k)
    for (std::int64_t j = 0; j < N; ++j)
      out[(j / 16) * 16 * Kp + (k / 2) * 32 + 2 * (j % 16) + k % 2] = float_to_bf16(b[k * ld + j]);
}

}  // namespace specnet::cpu
