// nn::MaskedLinear and nn::Made: the masked autoregressive conditioner of nflows (nflows/transforms/made.py,
// MADE with use_residual_blocks=False, random_mask=False), parameter names as its state_dict.
#pragma once
#include <vector>

#include "specnet/nn/linear.h"
#include "specnet/nn/module.h"

namespace specnet::nn {

// Masked linear layer with MADE degrees. Hidden units get degrees arange(O) % max(1, D-1) + min(1, D-1) and
// connect to inputs of degree <= theirs; output units (is_output) get degrees tile(1..D, O/D) (each feature's
// outputs contiguous) and connect to inputs of strictly smaller degree. Init as torch.nn.Linear.
class MaskedLinear : public Module {
 public:
  MaskedLinear(const std::vector<std::int64_t>& in_degrees, std::int64_t out_features, std::int64_t features,
               bool is_output, Rng& rng, DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override;  // (..., I) -> (..., O)
  Tensor forward_rows(const Tensor& x, std::int64_t o0, std::int64_t o1);  // outputs [o0, o1) only: (..., o1 - o0)
  std::string type_name() const override { return "MaskedLinear"; }

  std::vector<std::int64_t> out_degrees;  // (O)
  Tensor weight;  // (O, I)
  Tensor bias;    // (O)
  Tensor mask;    // (O, I) buffer of 0/1
};

struct MadeOptions {
  std::int64_t features = 5;                        // D, the autoregressive variables
  std::vector<std::int64_t> hidden = {120, 120, 120};  // widths of the hidden layers (all equal in nflows)
  std::int64_t context_features = 0;                // C; 0: no context layer
  std::int64_t output_multiplier = 1;               // M outputs per feature
};

// x (..., D) [+ context (..., C), broadcastable against x's batch dims] -> (..., D * M), output o belonging to
// feature o / M. As nflows: h0 = initial_layer(x) + context_layer(context) (no activation), then one
// masked linear + ReLU per further hidden layer ("blocks.i.linear"), then final_layer.
class Made : public Module {
 public:
  Made(const MadeOptions& opt, Rng& rng, DType dtype = DType::f32);
  Tensor forward(const Tensor& x) override;  // needs context_features == 0
  Tensor forward(const Tensor& x, const Tensor& context);
  // Split form for repeated passes with one context (autoregressive sampling): project the context once.
  Tensor project_context(const Tensor& context);                 // (..., C) -> (..., H0)
  // context_h undefined: no context. feature >= 0: only that feature's M outputs, (..., M).
  Tensor forward_projected(const Tensor& x, const Tensor& context_h, std::int64_t feature = -1);
  std::string type_name() const override { return "MADE"; }

  MadeOptions options;

 private:
  std::shared_ptr<MaskedLinear> initial_layer_, final_layer_;
  std::shared_ptr<Linear> context_layer_;
  std::vector<std::shared_ptr<MaskedLinear>> block_layers_;
};

}  // namespace specnet::nn
