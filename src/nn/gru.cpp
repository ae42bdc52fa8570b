// nn::GRU over the gru_layer op: each layer runs both directions on the previous layer's concatenated output,
// as torch.nn.GRU (dropout between layers is not implemented; torch's default is 0).
#include "specnet/nn/gru.h"

#include <cmath>
#include <string>

#include "specnet/nn/init.h"
#include "specnet/ops/concat.h"
#include "specnet/ops/gru.h"

namespace specnet::nn {

GRU::GRU(std::int64_t in, std::int64_t hidden, Rng& rng, std::int64_t layers, bool bidir, bool with_bias, DType dtype)
    : input_size(in), hidden_size(hidden), num_layers(layers), bidirectional(bidir), bias(with_bias) {
  SPECNET_CHECK(in > 0 && hidden > 0 && layers > 0,
                "GRU: input_size, hidden_size and num_layers must be positive, got ", in, ", ", hidden, ", ", layers);
  const std::int64_t dirs = bidir ? 2 : 1, H = hidden;
  const double bound = 1.0 / std::sqrt(double(H));
  // torch.nn.GRU.reset_parameters draws every parameter U(-1/sqrt(H), 1/sqrt(H)) in registration order.
  for (std::int64_t l = 0; l < layers; ++l)
    for (std::int64_t d = 0; d < dirs; ++d) {
      const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      const std::int64_t I = l == 0 ? in : dirs * H;
      Cell c;
      c.w_ih = register_parameter("weight_ih" + sfx, init::uniform({3 * H, I}, bound, rng, dtype));
      c.w_hh = register_parameter("weight_hh" + sfx, init::uniform({3 * H, H}, bound, rng, dtype));
      if (with_bias) {
        c.b_ih = register_parameter("bias_ih" + sfx, init::uniform({3 * H}, bound, rng, dtype));
        c.b_hh = register_parameter("bias_hh" + sfx, init::uniform({3 * H}, bound, rng, dtype));
      }
      cells_.push_back(c);
    }
}

Tensor GRU::forward(const Tensor& x) { return forward(x, Tensor()).output; }

GruOutput GRU::forward(const Tensor& x, const Tensor& h0) {
  SPECNET_CHECK(x.defined() && x.dim() == 3 && x.size(2) == input_size, "GRU: input must be (B, L, ", input_size,
                ") (batch_first), got ", x.defined() ? shape_str(x.shape()) : std::string("undefined"));
  const std::int64_t dirs = bidirectional ? 2 : 1, B = x.size(0), L = x.size(1);
  if (h0.defined())
    SPECNET_CHECK(h0.shape() == (Shape{num_layers * dirs, B, hidden_size}), "GRU: h0 shape ", shape_str(h0.shape()),
                  " != (", num_layers * dirs, ", ", B, ", ", hidden_size, ")");
  Tensor layer_in = x;
  std::vector<Tensor> finals;  // (B, H) per layer and direction
  for (std::int64_t l = 0; l < num_layers; ++l) {
    std::vector<Tensor> outs;
    for (std::int64_t d = 0; d < dirs; ++d) {
      const Cell& c = cells_[l * dirs + d];
      Tensor h = h0.defined() ? h0.slice(0, l * dirs + d, l * dirs + d + 1).squeeze(0) : Tensor();
      Tensor o = gru_layer(layer_in, h, c.w_ih, c.w_hh, c.b_ih, c.b_hh, d == 1);  // (B, L, H)
      const std::int64_t last = d == 1 ? 0 : L - 1;  // a reverse layer ends at t = 0
      finals.push_back(o.slice(1, last, last + 1).squeeze(1).unsqueeze(0));
      outs.push_back(o);
    }
    layer_in = dirs == 1 ? outs[0] : concat(outs, 2);
  }
  return {layer_in, concat(finals, 0)};
}

}  // namespace specnet::nn
