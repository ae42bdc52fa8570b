// Inference-only batched sampler for nn::SplineFlow (nflows' masked autoregressive orientation): draws n samples per
// context with float32 GEMMs or AMX bf16 tiles, computing every MADE hidden unit exactly once per draw and transform.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "specnet/nn/spline_flow.h"

namespace specnet::bhb {

// Sampling inverts each transform feature by feature. Hidden units are sorted by MADE degree: a unit of degree g
// depends only on features < g, so it is computed once, as soon as feature g-1 is known, from the prefix of the
// previous layer it connects to (the masked-out blocks are skipped). The cost per draw is one conditioner pass with
// the mask's sparsity exploited (~25k multiply-adds per transform for the paper's settings, against 43k dense and
// 5 x 43k for the reference rsample); the context projection is done once per spectrum.
//
// Precision::bf16 runs the conditioner GEMMs (hidden layers 2.. and the output layer) on AMX tiles: weights and
// activations rounded to bfloat16, products accumulated in float32; the first layer, biases, ReLU and the spline stay
// float32 / double. Precision::automatic picks bf16 when cpu::amx_bf16_available(), else f32.
class FastFlowSampler {
 public:
  enum class Precision { f32, bf16, automatic };
  // A snapshot of the current weights (float32, and bf16-packed for the bf16 path). Precision::bf16 on a machine
  // without AMX-BF16 is an Error.
  explicit FastFlowSampler(const nn::SplineFlow& flow, Precision precision = Precision::f32);
  // The path that runs: f32 or bf16 (never automatic).
  Precision precision() const { return precision_; }
  static const char* precision_name(Precision p);    // "f32", "bf16", "auto"
  static Precision parse_precision(const std::string& s);  // "auto" | "f32" | "bf16", else Error

  // context (B, C) row-major -> samples (B, n, D) in the flow's variable order; log_q (B, n) if not null. Noise:
  // draw j of context b uses Philox stream (seed, b). Draws are bitwise independent of the thread count (fixed
  // 512-draw blocks) and, up to float rounding in the GEMMs, of B.
  void sample(const float* context, std::int64_t B, std::int64_t n, std::uint64_t seed, float* samples,
              float* log_q = nullptr) const;
  // The same map from given standard-normal noise z (B, n, D), which is scaled (and, for a Student-t base, given
  // its radial factors from `seed`) as the Philox noise is.
  void sample_from_noise(const float* context, std::int64_t B, std::int64_t n, const float* z, float* samples,
                         float* log_q = nullptr, std::uint64_t seed = 0) const;
  // The base distribution of the draws and of log q (SplineFlowOptions::base_scale and base_df): the flow's when the
  // sampler was built; set here to try others on one snapshot (bhb::fit_base_scale). Error as nn::check_base.
  void set_base(double scale, double df = 0);
  double base_scale() const { return opt_.base_scale; }
  double base_df() const { return opt_.base_df; }
  // Multiply-adds per draw in the conditioner GEMMs (the sampler's dominant cost).
  double macs_per_draw() const;

 private:
  struct Layer {
    std::vector<float> weight;             // (rows, cols) row-major, rows and cols in degree order, masked
    std::vector<float> bias;               // (rows)
    std::int64_t rows = 0, cols = 0;
    std::vector<std::int64_t> group_end;   // (D + 1): units with degree <= g are rows [0, group_end[g])
  };
  struct Transform {
    std::vector<Layer> hidden;  // hidden[0]: initial layer (cols = D features), then the blocks
    Layer final_layer;          // rows D * M in feature order, widths / heights pre-scaled by 1/sqrt(hidden)
    std::vector<float> context_weight, context_bias;  // (H0, C) in degree order, bias includes the initial layer's
  };
  // The bf16 path's copy of a transform. Hidden units of layer l are laid out with each degree group padded to a
  // multiple of 32 (pad units have zero weights and bias, so they stay exactly 0): group g occupies
  // [pend[l][g-1], pend[l][g]). The output layer has Mp = M rounded up to 16 rows per feature.
  struct PackedTransform {
    std::vector<std::vector<std::int64_t>> pend;          // per hidden layer: (D + 1) padded group ends
    std::vector<std::vector<std::uint16_t>> weight;       // layers 1..: bf16 (pend[l][D], pend[l-1][D]), A layout
    std::vector<std::vector<float>> bias;                 // layers 1..: (pend[l][D]), zero for pad units
    std::vector<std::uint16_t> final_weight;              // bf16 (D * Mp, pend.back()[D])
  };
  void pack_bf16();
  // Context part of the first hidden layer: per transform (H0, B) column-major, bias included.
  std::vector<std::vector<float>> context_projection(const float* context, std::int64_t B) const;
  void run(const float* context, std::int64_t B, std::int64_t n, const float* z, std::uint64_t seed, float* samples,
           float* log_q) const;
  void run_f32(const float* context, std::int64_t B, std::int64_t n, const float* z, std::uint64_t seed,
               float* samples, float* log_q) const;
  void run_bf16(const float* context, std::int64_t B, std::int64_t n, const float* z, std::uint64_t seed,
                float* samples, float* log_q) const;

  nn::SplineFlowOptions opt_;
  std::int64_t D_ = 0, M_ = 0, C_ = 0;
  Precision precision_ = Precision::f32;
  std::vector<Transform> transforms_;
  std::vector<PackedTransform> packed_;  // bf16 path only
};

}  // namespace specnet::bhb
