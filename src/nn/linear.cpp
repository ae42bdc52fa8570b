// nn::Linear over ops::linear; reset_parameters as torch.nn.Linear (kaiming_uniform_(a=sqrt(5)), bias
// U(-1/sqrt(I), 1/sqrt(I))), weight drawn before bias from the same Rng.
#include "specnet/nn/linear.h"

#include <cmath>

#include "specnet/nn/init.h"
#include "specnet/ops/linear.h"

namespace specnet::nn {

Linear::Linear(std::int64_t in, std::int64_t out, Rng& rng, bool with_bias, DType dtype)
    : in_features(in), out_features(out) {
  SPECNET_CHECK(in > 0 && out > 0, "Linear: in_features and out_features must be positive, got ", in, ", ", out);
  weight = register_parameter("weight", init::kaiming_uniform({out, in}, std::sqrt(5.0), rng, dtype));
  if (with_bias) bias = register_parameter("bias", init::default_bias(out, in, rng, dtype));
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

}  // namespace specnet::nn
