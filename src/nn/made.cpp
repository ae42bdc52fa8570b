// nn::Made: nflows' MADE (use_residual_blocks=False, no batch norm, no dropout) with a context layer added
// to the first hidden layer; blocks are named "blocks.<i>.linear" as nflows' MaskedFeedforwardBlock.
#include "specnet/nn/made.h"

#include "specnet/nn/container.h"
#include "specnet/ops/activation.h"
#include "specnet/ops/arith.h"

namespace specnet::nn {
namespace {

// One nflows MaskedFeedforwardBlock: ReLU(linear(x)); holds the layer under the name "linear".
class MaskedBlock : public Module {
 public:
  explicit MaskedBlock(std::shared_ptr<MaskedLinear> layer) : layer_(register_module("linear", std::move(layer))) {}
  Tensor forward(const Tensor& x) override { return relu(layer_->forward(x)); }
  std::string type_name() const override { return "MaskedFeedforwardBlock"; }

 private:
  std::shared_ptr<MaskedLinear> layer_;
};

}  // namespace

Made::Made(const MadeOptions& opt, Rng& rng, DType dtype) : options(opt) {
  const std::int64_t D = opt.features;
  SPECNET_CHECK(D > 0 && opt.output_multiplier > 0 && opt.context_features >= 0,
                "MADE: features, output_multiplier must be positive and context_features >= 0");
  SPECNET_CHECK(!opt.hidden.empty(), "MADE: needs at least one hidden layer");
  for (auto h : opt.hidden) SPECNET_CHECK(h > 0, "MADE: hidden widths must be positive, got ", h);
  std::vector<std::int64_t> in_degrees(static_cast<std::size_t>(D));
  for (std::int64_t i = 0; i < D; ++i) in_degrees[i] = i + 1;
  // Registration order follows nflows' __init__: initial_layer, context_layer, blocks, final_layer.
  initial_layer_ = register_module("initial_layer",
                                   std::make_shared<MaskedLinear>(in_degrees, opt.hidden[0], D, false, rng, dtype));
  if (opt.context_features > 0)
    context_layer_ = register_module("context_layer",
                                     std::make_shared<Linear>(opt.context_features, opt.hidden[0], rng, true, dtype));
  auto blocks = std::make_shared<Sequential>();
  std::vector<std::int64_t> degrees = initial_layer_->out_degrees;
  for (std::size_t b = 1; b < opt.hidden.size(); ++b) {
    auto layer = std::make_shared<MaskedLinear>(degrees, opt.hidden[b], D, false, rng, dtype);
    degrees = layer->out_degrees;
    block_layers_.push_back(layer);
    blocks->push_back(std::make_shared<MaskedBlock>(layer));
  }
  if (blocks->size() > 0) register_module("blocks", blocks);
  final_layer_ = register_module(
      "final_layer", std::make_shared<MaskedLinear>(degrees, D * opt.output_multiplier, D, true, rng, dtype));
}

Tensor Made::forward(const Tensor& x) {
  SPECNET_CHECK(!context_layer_, "MADE: built with context_features = ", options.context_features,
                ", so forward needs a context");
  return forward_projected(x, Tensor());
}

Tensor Made::forward(const Tensor& x, const Tensor& context) { return forward_projected(x, project_context(context)); }

Tensor Made::project_context(const Tensor& context) {
  SPECNET_CHECK(context_layer_, "MADE: built without a context layer, but a context was given");
  SPECNET_CHECK(context.defined() && context.dim() >= 1 && context.size(-1) == options.context_features,
                "MADE: context must be (..., ", options.context_features, "), got ",
                context.defined() ? shape_str(context.shape()) : std::string("undefined"));
  return context_layer_->forward(context);
}

Tensor Made::forward_projected(const Tensor& x, const Tensor& context_h, std::int64_t feature) {
  SPECNET_CHECK(x.dim() >= 1 && x.size(-1) == options.features, "MADE: input must be (..., ", options.features,
                "), got ", shape_str(x.shape()));
  SPECNET_CHECK(context_h.defined() == bool(context_layer_), "MADE: context given to a model without a context "
                "layer, or missing for one with it");
  Tensor h = initial_layer_->forward(x);
  if (context_h.defined()) h = h + context_h;
  for (auto& layer : block_layers_) h = relu(layer->forward(h));
  if (feature < 0) return final_layer_->forward(h);
  SPECNET_CHECK(feature < options.features, "MADE: feature ", feature, " >= ", options.features);
  const std::int64_t M = options.output_multiplier;
  return final_layer_->forward_rows(h, feature * M, (feature + 1) * M);
}

}  // namespace specnet::nn
