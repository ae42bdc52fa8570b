// FastFlowSampler: nn::SplineFlow::rsample without autograd, batched over draws in float32 Eigen GEMMs with MADE
// degree-ordered hidden units (each computed once) and a vectorised rational-quadratic spline inverse (nflows' formulas).
#include "specnet/bhb/fast_sampler.h"

// GCC 12 reports -Wuninitialized false positives inside Eigen's AVX-512 log / sincos packet code instantiated here.
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "flow_block.h"
#include "specnet/context.h"
#include "specnet/cpu/gemm_amx_bf16.h"
#include "specnet/error.h"
#include "specnet/rng.h"

namespace specnet::bhb {
namespace {

using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;  // column-major: one column per draw
using RowMapF = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
using MatRF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;  // (M, N): rows contiguous
using ArrRF = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrF = Eigen::Array<float, 1, Eigen::Dynamic>;
using ArrD = Eigen::Array<double, 1, Eigen::Dynamic>;

using detail::kBlock;

std::vector<float> to_floats(const Tensor& t) {
  const auto v = t.contiguous().to_vector();
  return std::vector<float>(v.begin(), v.end());
}

// Hidden degrees of nflows' MADE: arange(H) % max(1, D-1) + min(1, D-1).
std::vector<std::int64_t> hidden_degrees(std::int64_t H, std::int64_t D) {
  std::vector<std::int64_t> d(H);
  const std::int64_t hi = std::max<std::int64_t>(1, D - 1), lo = std::min<std::int64_t>(1, D - 1);
  for (std::int64_t o = 0; o < H; ++o) d[o] = o % hi + lo;
  return d;
}

// Stable order of units by degree and the end of each degree group (units with degree <= g: [0, end[g])).
std::vector<std::int64_t> degree_order(const std::vector<std::int64_t>& deg, std::int64_t D,
                                       std::vector<std::int64_t>& group_end) {
  std::vector<std::int64_t> order(deg.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return deg[a] < deg[b]; });
  group_end.assign(D + 1, 0);
  for (std::int64_t g = 0; g <= D; ++g)
    for (auto d : deg) group_end[g] += d <= g;
  return order;
}

}  // namespace

FastFlowSampler::FastFlowSampler(const nn::SplineFlow& flow, Precision precision) : opt_(flow.options) {
  const bool amx = cpu::amx_bf16_available(), fits = opt_.bins <= detail::kMaxSplineBins && !opt_.hidden.empty();
  SPECNET_CHECK(precision != Precision::bf16 || amx,
                "FastFlowSampler: bf16 precision needs AMX-BF16 (CPUID amx_bf16/amx_tile with OS tile state), "
                "which this machine does not provide; use f32 or automatic");
  SPECNET_CHECK(precision != Precision::bf16 || fits, "FastFlowSampler: the bf16 path supports up to ",
                detail::kMaxSplineBins, " bins and at least one hidden layer (", opt_.bins, " bins)");
  precision_ = precision == Precision::automatic ? (amx && fits ? Precision::bf16 : Precision::f32) : precision;
  set_base(opt_.base_scale, opt_.base_df);
  D_ = opt_.features;
  M_ = 3 * opt_.bins - 1;
  C_ = opt_.context_features;
  std::map<std::string, Tensor> sd;
  for (auto& [k, v] : flow.state_dict()) sd[k] = v;
  auto get = [&](const std::string& k) {
    auto it = sd.find(k);
    SPECNET_CHECK(it != sd.end(), "FastFlowSampler: the flow has no entry '", k, "'");
    return it->second;
  };
  const std::int64_t nh = static_cast<std::int64_t>(opt_.hidden.size()), K = opt_.bins;
  const float scale = static_cast<float>(1.0 / std::sqrt(double(opt_.hidden.back())));
  for (std::int64_t t = 0; t < opt_.transforms; ++t) {
    const std::string p = "transforms." + std::to_string(t) + ".";
    Transform tr;
    // Input order of the current layer and its group ends (layer 0's inputs: the D features, degree i + 1).
    std::vector<std::int64_t> in_order(D_), in_end(D_ + 1);
    std::iota(in_order.begin(), in_order.end(), 0);
    for (std::int64_t g = 0; g <= D_; ++g) in_end[g] = std::min(g, D_);
    auto pack = [&](const std::string& name, const std::vector<std::int64_t>& row_order, Layer& L,
                    const std::vector<std::int64_t>& row_deg, bool is_output) {
      const auto w = to_floats(get(name + ".weight")), m = to_floats(get(name + ".mask")), b = to_floats(get(name + ".bias"));
      const std::int64_t I = static_cast<std::int64_t>(in_order.size()), O = static_cast<std::int64_t>(row_order.size());
      SPECNET_CHECK(static_cast<std::int64_t>(w.size()) == O * I, "FastFlowSampler: ", name, " has an unexpected shape");
      L.rows = O;
      L.cols = I;
      L.weight.assign(O * I, 0.f);
      L.bias.resize(O);
      for (std::int64_t r = 0; r < O; ++r) {
        const std::int64_t o = row_order[r];
        // Output units of degree d see inputs of degree < d, hidden units of degree g those of degree <= g.
        const std::int64_t prefix = is_output ? in_end[row_deg[o] - 1] : in_end[row_deg[o]];
        L.bias[r] = b[o];
        for (std::int64_t c = 0; c < I; ++c) {
          const std::int64_t i = in_order[c];
          const float v = w[o * I + i] * m[o * I + i];
          SPECNET_CHECK(c < prefix || v == 0.f, "FastFlowSampler: ", name, " has a mask that is not nflows' MADE mask");
          L.weight[r * I + c] = v;
        }
      }
    };
    for (std::int64_t l = 0; l < nh; ++l) {
      const std::int64_t H = opt_.hidden[l];
      const auto deg = hidden_degrees(H, D_);
      Layer L;
      const auto order = degree_order(deg, D_, L.group_end);
      pack(l == 0 ? p + "initial_layer" : p + "blocks." + std::to_string(l - 1) + ".linear", order, L, deg, false);
      if (l == 0 && C_ > 0) {
        const auto cw = to_floats(get(p + "context_layer.weight")), cb = to_floats(get(p + "context_layer.bias"));
        tr.context_weight.resize(H * C_);
        tr.context_bias.resize(H);
        for (std::int64_t r = 0; r < H; ++r) {
          std::copy(cw.begin() + order[r] * C_, cw.begin() + (order[r] + 1) * C_, tr.context_weight.begin() + r * C_);
          tr.context_bias[r] = cb[order[r]] + L.bias[r];
        }
      }
      tr.hidden.push_back(std::move(L));
      in_order = order;
      in_end = tr.hidden.back().group_end;
    }
    std::vector<std::int64_t> out_order(D_ * M_), out_deg(D_ * M_);
    std::iota(out_order.begin(), out_order.end(), 0);
    for (std::int64_t o = 0; o < D_ * M_; ++o) out_deg[o] = o / M_ + 1;
    pack(p + "final_layer", out_order, tr.final_layer, out_deg, true);
    for (std::int64_t d = 0; d < D_; ++d)  // nflows scales widths and heights by 1/sqrt(hidden) before the softmax
      for (std::int64_t k = 0; k < 2 * K; ++k) {
        const std::int64_t r = d * M_ + k;
        tr.final_layer.bias[r] *= scale;
        for (std::int64_t c = 0; c < tr.final_layer.cols; ++c) tr.final_layer.weight[r * tr.final_layer.cols + c] *= scale;
      }
    transforms_.push_back(std::move(tr));
  }
  if (precision_ == Precision::bf16) pack_bf16();
}

const char* FastFlowSampler::precision_name(Precision p) {
  return p == Precision::f32 ? "f32" : p == Precision::bf16 ? "bf16" : "auto";
}

FastFlowSampler::Precision FastFlowSampler::parse_precision(const std::string& s) {
  if (s == "auto") return Precision::automatic;
  if (s == "f32") return Precision::f32;
  if (s == "bf16") return Precision::bf16;
  throw Error(str("unknown sampler precision '", s, "' (expected auto, f32 or bf16)"));
}

std::vector<std::vector<float>> FastFlowSampler::context_projection(const float* context, std::int64_t B) const {
  const std::int64_t T = static_cast<std::int64_t>(transforms_.size()), H0 = opt_.hidden[0];
  std::vector<std::vector<float>> ctx_h(T);
  if (C_ == 0) return ctx_h;
  // Chunks of a fixed 32 contexts (the last padded with zeros): one GEMM shape whatever B, so a spectrum's
  // projection, and its draws, do not depend on how many spectra are sampled together.
  constexpr std::int64_t kChunk = 32;
  const std::int64_t chunks = (B + kChunk - 1) / kChunk;
  std::vector<float> padded(chunks * kChunk * C_, 0.0f);  // (chunks x 32, C)
  std::copy(context, context + B * C_, padded.begin());
  MatF m(H0, kChunk);
  for (std::int64_t t = 0; t < T; ++t) {
    const auto& tr = transforms_[t];
    ctx_h[t].resize(H0 * B);
    for (std::int64_t c = 0; c < chunks; ++c) {
      m.noalias() = RowMapF(tr.context_weight.data(), H0, C_) * RowMapF(padded.data() + c * kChunk * C_, kChunk, C_).transpose();
      m.colwise() += Eigen::Map<const Eigen::VectorXf>(tr.context_bias.data(), H0);
      const std::int64_t cols = std::min(kChunk, B - c * kChunk);
      Eigen::Map<MatF>(ctx_h[t].data() + c * kChunk * H0, H0, cols) = m.leftCols(cols);
    }
  }
  return ctx_h;
}

double FastFlowSampler::macs_per_draw() const {
  double macs = 0;
  for (const auto& tr : transforms_) {
    for (std::size_t l = 0; l < tr.hidden.size(); ++l) {
      const Layer& L = tr.hidden[l];
      const auto& prev = l == 0 ? std::vector<std::int64_t>() : tr.hidden[l - 1].group_end;
      for (std::int64_t g = 0; g < D_; ++g) {
        const std::int64_t rows = L.group_end[g] - (g > 0 ? L.group_end[g - 1] : 0);
        macs += double(rows) * (l == 0 ? g : prev[g]);
      }
    }
    for (std::int64_t d = 0; d < D_; ++d) macs += double(M_) * tr.hidden.back().group_end[d];
  }
  return macs;
}

void FastFlowSampler::sample(const float* context, std::int64_t B, std::int64_t n, std::uint64_t seed,
                             float* samples, float* log_q) const {
  run(context, B, n, nullptr, seed, samples, log_q);
}

void FastFlowSampler::sample_from_noise(const float* context, std::int64_t B, std::int64_t n, const float* z,
                                        float* samples, float* log_q, std::uint64_t seed) const {
  SPECNET_CHECK(z, "FastFlowSampler: noise pointer is null");
  run(context, B, n, z, seed, samples, log_q);
}

void FastFlowSampler::set_base(double s, double df) {
  nn::check_base(s, df);
  opt_.base_scale = s;
  opt_.base_df = df;
}

void FastFlowSampler::run(const float* context, std::int64_t B, std::int64_t n, const float* z_in, std::uint64_t seed,
                          float* samples, float* log_q) const {
  SPECNET_CHECK(B > 0 && n > 0, "FastFlowSampler: need B > 0 contexts and n > 0 draws, got ", B, " and ", n);
  SPECNET_CHECK(samples && (context || C_ == 0), "FastFlowSampler: null output or context");
  for (std::int64_t i = 0; i < B * C_; ++i)
    SPECNET_CHECK(std::isfinite(context[i]), "FastFlowSampler: context has a non-finite value at ", i);
  if (precision_ == Precision::bf16) run_bf16(context, B, n, z_in, seed, samples, log_q);
  else run_f32(context, B, n, z_in, seed, samples, log_q);
}

void FastFlowSampler::run_f32(const float* context, std::int64_t B, std::int64_t n, const float* z_in,
                              std::uint64_t seed, float* samples, float* log_q) const {
  const std::int64_t D = D_, M = M_, T = static_cast<std::int64_t>(transforms_.size());
  const std::int64_t H0 = opt_.hidden[0];
  const auto ctx_data = context_projection(context, B);  // (H0, B) per transform
  const std::int64_t total = B * n, blocks = (total + kBlock - 1) / kBlock;
  parallel_for(blocks, 1, [&](std::int64_t b0, std::int64_t b1) {
    std::vector<MatF> h(opt_.hidden.size());
    for (std::size_t l = 0; l < h.size(); ++l) h[l].resize(opt_.hidden[l], kBlock);
    MatF X(D, kBlock), U(D, kBlock);
    MatRF P(M, kBlock);
    std::vector<float> z(kBlock * D), yrow(kBlock), xrow(kBlock);
    std::vector<double> ld(kBlock);
    std::vector<std::int64_t> ctx_of(kBlock);
    for (std::int64_t blk = b0; blk < b1; ++blk) {
      // N draws of this block are kept; every block computes the full kBlock columns (the last one padded with
      // zero noise and the last context), so that the GEMMs treat a draw's column alike whatever the set's size and
      // a spectrum's draws do not depend on how many spectra are sampled.
      const std::int64_t c0 = blk * kBlock, N = std::min(kBlock, total - c0);
      for (std::int64_t j = 0; j < kBlock; ++j) ctx_of[j] = (c0 + std::min(j, N - 1)) / n;
      // Noise, (N, D), then zeros.
      detail::block_base_noise(z_in, seed, n, c0, N, D, opt_, z.data());
      std::fill(z.begin() + N * D, z.end(), 0.f);
      for (std::int64_t j = 0; j < kBlock; ++j)
        for (std::int64_t k = 0; k < D; ++k) X(k, j) = z[j * D + k];
      std::fill(ld.begin(), ld.end(), 0.0);
      for (std::int64_t t = T; t-- > 0;) {
        const Transform& tr = transforms_[t];
        const std::int64_t nh = static_cast<std::int64_t>(tr.hidden.size());
        for (std::int64_t d = 0; d < D; ++d) {
          // Hidden units of degree d in every layer: they depend on features < d, all known now.
          for (std::int64_t l = 0; l < nh; ++l) {
            const Layer& L = tr.hidden[l];
            const std::int64_t r0 = d > 0 ? L.group_end[d - 1] : 0, rows = L.group_end[d] - r0;
            if (rows == 0) continue;
            const std::int64_t in = l == 0 ? d : tr.hidden[l - 1].group_end[d];
            auto out = h[l].middleRows(r0, rows);
            const RowMapF W(L.weight.data() + r0 * L.cols, rows, L.cols);
            if (in > 0) {
              if (l == 0) out.noalias() = W.leftCols(in) * U.topRows(in);
              else out.noalias() = W.leftCols(in) * h[l - 1].topRows(in);
            } else {
              out.setZero();
            }
            if (l == 0) {
              if (C_ > 0)
                for (std::int64_t j = 0; j < kBlock;) {  // runs of draws sharing a context
                  std::int64_t run = 1;
                  while (j + run < kBlock && ctx_of[j + run] == ctx_of[j]) ++run;
                  out.middleCols(j, run).colwise() +=
                      Eigen::Map<const Eigen::VectorXf>(ctx_data[t].data() + ctx_of[j] * H0 + r0, rows);
                  j += run;
                }
              else
                out.colwise() += Eigen::Map<const Eigen::VectorXf>(L.bias.data() + r0, rows);
            } else {
              out.colwise() += Eigen::Map<const Eigen::VectorXf>(L.bias.data() + r0, rows);
              out = out.cwiseMax(0.f);
            }
          }
          // Spline parameters of feature d from the last layer's units of degree <= d.
          const Layer& F = tr.final_layer;
          const std::int64_t in = tr.hidden.back().group_end[d];
          // P is row-major (M, kBlock): the spline reads contiguous rows.
          if (in > 0)
            P.noalias() = RowMapF(F.weight.data() + d * M * F.cols, M, F.cols).leftCols(in) * h.back().topRows(in);
          else
            P.setZero();
          P.colwise() += Eigen::Map<const Eigen::VectorXf>(F.bias.data() + d * M, M);
          for (std::int64_t j = 0; j < kBlock; ++j) yrow[j] = X(d, j);
          detail::spline_inverse_block(opt_, yrow.data(), P.data(), P.cols(), kBlock, xrow.data(), log_q ? ld.data() : nullptr);
          for (std::int64_t j = 0; j < kBlock; ++j) U(d, j) = xrow[j];
        }
        // Reverse the variables between transforms (nflows' ReversePermutation).
        if (t > 0)
          for (std::int64_t k = 0; k < D; ++k) X.row(k) = U.row(D - 1 - k);
        else
          X = U;
      }
      detail::block_output(X.data(), D, 1, z.data(), ld.data(), c0, N, D, opt_, samples, log_q);
    }
  });
}

}  // namespace specnet::bhb
