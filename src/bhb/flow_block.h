// Per-block pieces shared by FastFlowSampler's float32 and AMX-bf16 paths: the vectorised inverse rational-quadratic
// spline (nflows' unconstrained_rational_quadratic_spline, inverse=True, linear tails) and the Philox Box-Muller noise.
#pragma once
#include <cstdint>

#include "specnet/nn/spline_flow.h"

namespace specnet::bhb::detail {

constexpr std::int64_t kBlock = 512;  // draws per block (fixed: results never depend on the thread count)

// Inverse spline of one feature over N draws: y (N) in, P the raw MADE outputs of that feature, (3K - 1) rows of
// N values with leading dimension ldp (widths and heights already scaled by 1/sqrt(hidden)) -> x (N); if ld is not
// null, ld (N) += log|dx/dy|.
void spline_inverse_block(const nn::SplineFlowOptions& o, const float* y, const float* P, std::int64_t ldp,
                          std::int64_t N, float* x, double* ld);

// The same on AVX-512 registers in float32 (16 draws at a time, Cephes exp / log), with the output layer's bias
// (3K - 1) added to P's rows: the bf16 path's spline, which runs only where cpu::amx_bf16_available() (AVX-512
// included). Needs bins <= kMaxSplineBins.
constexpr std::int64_t kMaxSplineBins = 64;
void spline_inverse_block_avx512(const nn::SplineFlowOptions& o, const float* y, const float* P, std::int64_t ldp,
                                 const float* bias, std::int64_t N, float* x, double* ld);

// Standard normals z (N, D) for draws [j0, j0 + N) of context b: draw j, feature k uses Philox block
// j * ceil(D/2) + k / 2 of stream (seed, b); Box-Muller cos for even k, sin for odd k.
void noise_block(std::uint64_t seed, std::int64_t b, std::int64_t j0, std::int64_t N, std::int64_t D, float* z);

// Noise z (N, D) of the block of draws [c0, c0 + N) of a B x n batch (draw c = b * n + j), from noise_block per
// run of draws sharing a context.
void block_noise(std::uint64_t seed, std::int64_t n, std::int64_t c0, std::int64_t N, std::int64_t D, float* z);

// The base noise z (N, D) of that block: the caller's standard normals z_in (B * n, D) when not null, else
// block_noise's; times the flow's base_scale s and, for a Student-t base (o.base_df > 0), each draw's radial factor
// from blocks kStudentTFirstBlock + j * nn::kStudentTBlocks of Philox stream (seed, b) (the normals use the blocks
// from 0, so the two never overlap, and the factors do not depend on z_in).
constexpr std::uint64_t kStudentTFirstBlock = std::uint64_t(1) << 62;
void block_base_noise(const float* z_in, std::uint64_t seed, std::int64_t n, std::int64_t c0, std::int64_t N,
                      std::int64_t D, const nn::SplineFlowOptions& o, float* z);

// Writes the block's outputs: samples (c0 + j, k) = x[j * sj + k * sk], and log_q (c0 + j) (if not null) from the
// base noise z (N, D) and the accumulated log|dx/dy| ld (N): the base's log density (nn::base_log_density) - ld.
void block_output(const float* x, std::int64_t sj, std::int64_t sk, const float* z, const double* ld, std::int64_t c0,
                  std::int64_t N, std::int64_t D, const nn::SplineFlowOptions& o, float* samples, float* log_q);

}  // namespace specnet::bhb::detail
