// FastFlowSampler's AMX-bf16 path: MADE hidden layers 2.. and the output layer as bf16 x bf16 -> float32 tile GEMMs
// (cpu::gemm_amx_bf16), draws along the GEMM's N so the spline reads each parameter's row over draws contiguously.
#include <immintrin.h>

#include <algorithm>

#include "../cpu/bf16_vnni_pair.h"
#include "flow_block.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/context.h"
#include "specnet/cpu/gemm_amx_bf16.h"
#include "specnet/error.h"

namespace specnet::bhb {
namespace {

using detail::kBlock;
constexpr std::int64_t kLdc = kBlock + 16;  // float rows of kBlock draws, padded: a 2 KiB stride aliases L1 sets

std::int64_t round_up(std::int64_t v, std::int64_t m) { return (v + m - 1) / m * m; }

// Padded group ends: group g (units [group_end[g-1], group_end[g])) rounded up to a multiple of 32.
std::vector<std::int64_t> padded_ends(const std::vector<std::int64_t>& group_end) {
  std::vector<std::int64_t> p(group_end.size());
  for (std::size_t g = 0; g < group_end.size(); ++g)
    p[g] = (g ? p[g - 1] : 0) + round_up(group_end[g] - (g ? group_end[g - 1] : 0), 32);
  return p;
}

// Padded position of each unit (degree order) of a layer.
std::vector<std::int64_t> padded_index(const std::vector<std::int64_t>& group_end, const std::vector<std::int64_t>& pend) {
  std::vector<std::int64_t> idx(group_end.back());
  for (std::size_t g = 0; g < group_end.size(); ++g) {
    const std::int64_t u0 = g ? group_end[g - 1] : 0, p0 = g ? pend[g - 1] : 0;
    for (std::int64_t u = u0; u < group_end[g]; ++u) idx[u] = p0 + (u - u0);
  }
  return idx;
}

// First MADE layer for one 16-draw panel, straight to bf16 VNNI: unit r (< rows) = base[r] (or mixed[r * 16 + q]
// per draw q) + sum_{k < d} w[r * ldw + k] * u[k * ldu + q]; units rows..prow (pad) = 0. out: the panel's pair rows.
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void first_layer_panel(
    const float* w, std::int64_t ldw, std::int64_t rows, std::int64_t prow, std::int64_t d, const float* u,
    std::int64_t ldu, const float* base, const float* mixed, std::uint16_t* out) {
  constexpr std::int64_t kHeld = 8;  // features kept in registers across the panel's units
  __m512 held[kHeld];
  for (std::int64_t k = 0; k < std::min(d, kHeld); ++k) held[k] = _mm512_loadu_ps(u + k * ldu);
  auto unit = [&](std::int64_t r) {
    if (r >= rows) return _mm512_setzero_ps();
    __m512 acc = mixed ? _mm512_loadu_ps(mixed + r * 16) : _mm512_set1_ps(base[r]);
    for (std::int64_t k = 0; k < d; ++k)
      acc = _mm512_fmadd_ps(_mm512_set1_ps(w[r * ldw + k]), k < kHeld ? held[k] : _mm512_loadu_ps(u + k * ldu), acc);
    return acc;
  };
  for (std::int64_t r = 0; r < prow; r += 2) cpu::detail::store_vnni_pair(out + (r / 2) * 32, unit(r), unit(r + 1));
}

}  // namespace

void FastFlowSampler::pack_bf16() {
  const std::int64_t D = D_, M = M_, Mp = round_up(M, 16);
  const std::size_t nh = opt_.hidden.size();
  packed_.clear();
  for (const Transform& tr : transforms_) {
    PackedTransform pk;
    for (const Layer& L : tr.hidden) pk.pend.push_back(padded_ends(L.group_end));
    pk.weight.resize(nh);
    pk.bias.resize(nh);
    for (std::size_t l = 1; l < nh; ++l) {
      const Layer& L = tr.hidden[l];
      const auto rows = padded_index(L.group_end, pk.pend[l]), cols = padded_index(tr.hidden[l - 1].group_end, pk.pend[l - 1]);
      const std::int64_t R = pk.pend[l][D], Cc = pk.pend[l - 1][D];
      std::vector<float> w(R * Cc, 0.f);
      pk.bias[l].assign(R, 0.f);
      for (std::int64_t r = 0; r < L.rows; ++r) {
        pk.bias[l][rows[r]] = L.bias[r];
        for (std::int64_t c = 0; c < L.cols; ++c) w[rows[r] * Cc + cols[c]] = L.weight[r * L.cols + c];
      }
      pk.weight[l].resize(R * Cc);
      cpu::pack_bf16_a(w.data(), R, Cc, Cc, pk.weight[l].data());
    }
    const Layer& F = tr.final_layer;
    const auto cols = padded_index(tr.hidden.back().group_end, pk.pend.back());
    const std::int64_t Cc = pk.pend.back()[D];
    std::vector<float> w(D * Mp * Cc, 0.f);
    for (std::int64_t d = 0; d < D; ++d)
      for (std::int64_t m = 0; m < M; ++m)
        for (std::int64_t c = 0; c < F.cols; ++c) w[(d * Mp + m) * Cc + cols[c]] = F.weight[(d * M + m) * F.cols + c];
    pk.final_weight.resize(D * Mp * Cc);
    cpu::pack_bf16_a(w.data(), D * Mp, Cc, Cc, pk.final_weight.data());
    packed_.push_back(std::move(pk));
  }
}

void FastFlowSampler::run_bf16(const float* context, std::int64_t B, std::int64_t n, const float* z_in,
                               std::uint64_t seed, float* samples, float* log_q) const {
  const std::int64_t D = D_, M = M_, Mp = round_up(M, 16), T = static_cast<std::int64_t>(transforms_.size());
  const std::int64_t H0 = opt_.hidden[0], nh = static_cast<std::int64_t>(opt_.hidden.size());
  const auto ctx_h = context_projection(context, B);  // (H0, B) column-major per transform
  std::int64_t rows_max = Mp;                         // largest GEMM / first-layer output per feature
  for (const auto& pk : packed_)
    for (const auto& pe : pk.pend)
      for (std::int64_t g = 0; g <= D; ++g) rows_max = std::max(rows_max, pe[g] - (g ? pe[g - 1] : 0));
  const std::int64_t total = B * n, blocks = (total + kBlock - 1) / kBlock;
  parallel_for(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
    // Hidden activations as the B operand (VNNI panels of 16 draws): layer l holds (kBlock / 16, pend[l][D] / 2,
    // 16, 2) bf16, panel stride ldh[l].
    std::vector<std::vector<std::uint16_t>> h(nh);
    std::vector<std::int64_t> ldh(nh);
    for (std::int64_t l = 0; l < nh; ++l) {
      ldh[l] = 16 * packed_[0].pend[l][D];
      h[l].assign(packed_[0].pend[l][D] * kBlock, 0);
    }
    std::vector<float> c(rows_max * kLdc);            // GEMM / first-layer output (rows, kBlock), stride kLdc
    std::vector<float> X(D * kBlock), U(D * kBlock);  // (D, kBlock): one row per feature over draws
    std::vector<float> z(kBlock * D);                 // (kBlock, D)
    std::vector<double> ld(kBlock);
    std::vector<std::int64_t> ctx_of(kBlock);         // context of each draw
    std::vector<float> panel(rows_max * 16);          // first-layer context values of a panel spanning contexts
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      const std::int64_t c0 = blk * kBlock, N = std::min(kBlock, total - c0), Nr = kBlock;  // full width: draws independent of the set size
      detail::block_base_noise(z_in, seed, n, c0, N, D, opt_, z.data());
      std::fill(X.begin(), X.end(), 0.f);  // columns [N, Nr) stay 0: they only feed their own (unused) GEMM columns
      std::fill(U.begin(), U.end(), 0.f);
      for (std::int64_t j = 0; j < N; ++j)
        for (std::int64_t k = 0; k < D; ++k) X[k * kBlock + j] = z[j * D + k];
      for (std::int64_t j = 0; j < Nr; ++j) ctx_of[j] = (c0 + std::min(j, N - 1)) / n;  // pad draws: the last context
      std::fill(ld.begin(), ld.end(), 0.0);
      for (std::int64_t t = T; t-- > 0;) {
        const Transform& tr = transforms_[t];
        const PackedTransform& pk = packed_[t];
        for (std::int64_t d = 0; d < D; ++d) {
          // First layer, units of degree d (float32): context part + features < d; pad units 0.
          const Layer& L0 = tr.hidden[0];
          const std::int64_t u0 = d > 0 ? L0.group_end[d - 1] : 0, rows = L0.group_end[d] - u0;
          const std::int64_t p0 = d > 0 ? pk.pend[0][d - 1] : 0, prow = pk.pend[0][d] - p0;
          if (prow > 0)
            for (std::int64_t jc = 0; jc < Nr; jc += 16) {
              const std::int64_t c_first = ctx_of[jc], c_last = ctx_of[jc + 15];
              const float* base = C_ == 0 ? L0.bias.data() + u0 : ctx_h[t].data() + c_first * H0 + u0;
              const float* mixed = nullptr;  // (rows, 16) per-draw values when the panel spans contexts
              if (C_ > 0 && c_first != c_last) {
                for (std::int64_t r = 0; r < rows; ++r)
                  for (std::int64_t q = 0; q < 16; ++q) panel[r * 16 + q] = ctx_h[t][ctx_of[jc + q] * H0 + u0 + r];
                mixed = panel.data();
              }
              first_layer_panel(L0.weight.data() + u0 * L0.cols, L0.cols, rows, prow, d, U.data() + jc, kBlock, base,
                                mixed, h[0].data() + (jc / 16) * ldh[0] + (p0 / 2) * 32);
            }
          // Hidden layers 1..: units of degree d from the previous layer's units of degree <= d (AMX), + bias, ReLU.
          for (std::int64_t l = 1; l < nh; ++l) {
            const auto& pe = pk.pend[l];
            const std::int64_t q0 = d > 0 ? pe[d - 1] : 0, qrows = pe[d] - q0, K = pk.pend[l - 1][d];
            if (qrows == 0) continue;
            const std::int64_t lda = pk.pend[l - 1][D];
            cpu::gemm_amx_bf16_vnni_out(qrows, Nr, K, pk.weight[l].data() + q0 * lda, lda, h[l - 1].data(), ldh[l - 1],
                                        pk.bias[l].data() + q0, true, h[l].data() + (q0 / 2) * 32, ldh[l]);
          }
          // Spline parameters of feature d (Mp rows, the first M used) from the last layer's units of degree <= d.
          const std::int64_t K = pk.pend.back()[d], ldf = pk.pend.back()[D];
          if (K > 0)
            cpu::gemm_amx_bf16(Mp, Nr, K, pk.final_weight.data() + d * Mp * ldf, ldf, h.back().data(), ldh.back(),
                               c.data(), kLdc);
          else
            std::fill(c.begin(), c.begin() + Mp * kLdc, 0.f);
          detail::spline_inverse_block_avx512(opt_, X.data() + d * kBlock, c.data(), kLdc,
                                              tr.final_layer.bias.data() + d * M, N, U.data() + d * kBlock,
                                              log_q ? ld.data() : nullptr);
        }
        // Reverse the variables between transforms (nflows' ReversePermutation).
        for (std::int64_t k = 0; k < D; ++k)
          std::copy(U.begin() + (t > 0 ? D - 1 - k : k) * kBlock, U.begin() + ((t > 0 ? D - 1 - k : k) + 1) * kBlock,
                    X.begin() + k * kBlock);
      }
      detail::block_output(X.data(), 1, kBlock, z.data(), ld.data(), c0, N, D, opt_, samples, log_q);
    }
  });
}

}  // namespace specnet::bhb
