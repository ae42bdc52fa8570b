// nn::Dropout (torch.nn.Dropout): zeroes elements with probability p in training, identity in eval. It owns
// its Rng (seeded at construction, registered so checkpoints restore the stream position).
#pragma once
#include "specnet/nn/module.h"

namespace specnet::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, std::uint64_t seed = 0, std::uint64_t stream = 0);
  Tensor forward(const Tensor& x) override;
  std::string type_name() const override { return "Dropout"; }
  Rng& rng() { return rng_; }

  double p;

 private:
  Rng rng_;
};

}  // namespace specnet::nn
