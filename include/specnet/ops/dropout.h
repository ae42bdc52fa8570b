// Dropout (torch.nn.functional.dropout): in training, zero each element with probability p and scale the
// rest by 1/(1-p); identity in eval. The mask comes from Philox blocks reserved from `rng`, so it is
// reproducible and independent of the thread count.
#pragma once
#include "specnet/rng.h"
#include "specnet/tensor.h"

namespace specnet {

Tensor dropout(const Tensor& x, double p, bool training, Rng& rng);

}  // namespace specnet
