// nn::GRU: multi-layer, optionally bidirectional GRU with torch.nn.GRU's equations, parameter names
// (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, *_reverse) and init U(-1/sqrt(H), 1/sqrt(H)).
#pragma once
#include "specnet/nn/module.h"

namespace specnet::nn {

struct GruOutput {
  Tensor output;  // (B, L, dirs * H) with batch_first, forward and reverse features concatenated
  Tensor h_n;     // (layers * dirs, B, H), the final state of each layer and direction
};

class GRU : public Module {
 public:
  // batch_first is the only layout (the paper's use); bias=false drops the bias parameters as torch.
  GRU(std::int64_t input_size, std::int64_t hidden_size, Rng& rng, std::int64_t num_layers = 1,
      bool bidirectional = false, bool bias = true, DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override;  // (B, L, I) -> output (B, L, dirs * H), h0 = 0
  GruOutput forward(const Tensor& x, const Tensor& h0);  // h0 (layers * dirs, B, H) or undefined
  std::string type_name() const override { return "GRU"; }

  std::int64_t input_size, hidden_size, num_layers;
  bool bidirectional, bias;

 private:
  struct Cell {
    Tensor w_ih, w_hh, b_ih, b_hh;
  };
  std::vector<Cell> cells_;  // index layer * dirs + direction, torch's order
};

}  // namespace specnet::nn
