// BF16 GEMM on Intel AMX tiles with float32 accumulation (the arithmetic of torch.matmul on bfloat16 inputs with an
// fp32 accumulator, as oneDNN's AMX kernels do), plus runtime detection and the packing helpers for its operands.
#pragma once
#include <cstdint>

namespace specnet::cpu {

// True when this process may run the kernel: CPUID reports AMX-TILE, AMX-BF16, AVX-512F and AVX512-BF16, the OS
// enables AVX-512 and tile state in XCR0 (bits 5-7, 17, 18), and Linux granted the tile-data permission
// (arch_prctl ARCH_REQ_XCOMP_PERM). Determined once, thread-safe. The kernels below must not be called otherwise.
bool amx_bf16_available();

// float -> bfloat16 bits, round to nearest even (as _mm512_cvtne2ps_pbh and torch's .to(bfloat16)); NaN stays NaN.
std::uint16_t float_to_bf16(float v);
float bf16_to_float(std::uint16_t v);

// Operand layouts (Kp = K rounded up to 32, Mp = M and Np = N rounded up to 16):
//   A: row-major bf16, element (i, k) at a[i * lda + k]; readable for i < Mp, k < Kp.
//   B: VNNI pairs in panels of 16 columns, element (k, j) at b[(j / 16) * ldb + (k / 2) * 32 + 2 * (j % 16) + k % 2]:
//      each tile (16 pair rows x 16 columns) is 1 KiB contiguous; ldb (panel stride) >= 16 * Kp; readable for
//      k < Kp, j < Np. (Row-major VNNI with a power-of-two row stride maps a tile's rows to 2 L1 sets.)
//   C: row-major float, element (i, j) at c[i * ldc + j]; only i < M, j < N are written.
// The K padding [K, Kp) must be zero in A and in B (then padded products add exact zeros).
//
// c (M, N) = a (M, K) * b (K, N), each product of bf16 values exact, accumulated in float32 over K in 32-wide steps.
// Each c element depends only on its own row of a and column of b (no blocking across rows or columns), so results
// do not depend on how callers split M or N across threads.
void gemm_amx_bf16(std::int64_t M, std::int64_t N, std::int64_t K, const std::uint16_t* a, std::int64_t lda,
                   const std::uint16_t* b, std::int64_t ldb, float* c, std::int64_t ldc);

// The fused hidden-layer step: out = bf16(act(a * b + bias)), act = ReLU when relu (else identity), written in the
// B layout (VNNI panels, element (i, j) at out[(j / 16) * ldo + (i / 2) * 32 + 2 * (j % 16) + i % 2]) so it feeds
// the next GEMM directly. M even, N a multiple of 16, ldo >= 16 * M; bias (M) may be null. Equal to gemm_amx_bf16, then + bias, ReLU,
// float_to_bf16, element by element.
void gemm_amx_bf16_vnni_out(std::int64_t M, std::int64_t N, std::int64_t K, const std::uint16_t* a, std::int64_t lda,
                            const std::uint16_t* b, std::int64_t ldb, const float* bias, bool relu, std::uint16_t* out,
                            std::int64_t ldo);

// Packs a row-major float (rows, cols) matrix (leading dimension ld) into the A layout: out (Mp, Kp) with
// lda = Kp, zero padding. out must hold Mp * Kp values.
void pack_bf16_a(const float* w, std::int64_t rows, std::int64_t cols, std::int64_t ld, std::uint16_t* out);
// Packs a row-major float (K, N) matrix (leading dimension ld) into the B layout with ldb = 16 * Kp: out holds
// Kp * Np values, zero padded.
void pack_bf16_b_vnni(const float* b, std::int64_t K, std::int64_t N, std::int64_t ld, std::uint16_t* out);

}  // namespace specnet::cpu
