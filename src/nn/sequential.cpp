// nn::Sequential: runs its children in order (torch.nn.Sequential, children named by index).
#include <string>

#include "specnet/nn/container.h"

namespace specnet::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<Module>> layers) {
  for (const auto& l : layers) push_back(l);
}

Sequential& Sequential::push_back(std::shared_ptr<Module> layer) {
  register_module(std::to_string(layers_.size()), layer);
  layers_.push_back(std::move(layer));
  return *this;
}

Module& Sequential::operator[](std::size_t i) const {
  SPECNET_CHECK(i < layers_.size(), "Sequential: index ", i, " out of range (", layers_.size(), " layers)");
  return *layers_[i];
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& l : layers_) h = l->forward(h);
  return h;
}

}  // namespace specnet::nn
