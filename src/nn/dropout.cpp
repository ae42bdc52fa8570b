// nn::Dropout over ops::dropout with its own Philox stream (torch.nn.Dropout semantics, explicit RNG).
#include "specnet/nn/dropout.h"

#include <cmath>

#include "specnet/ops/dropout.h"

namespace specnet::nn {

Dropout::Dropout(double prob, std::uint64_t seed, std::uint64_t stream) : p(prob), rng_(seed, stream) {
  SPECNET_CHECK(std::isfinite(prob) && prob >= 0 && prob <= 1, "Dropout: probability must be in [0, 1], got ", prob);
  register_rng("rng", &rng_);
}

Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), rng_); }

}  // namespace specnet::nn
