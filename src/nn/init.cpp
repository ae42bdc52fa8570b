// Default PyTorch initialisers (torch.nn.init.kaiming_uniform_, Linear/Conv reset_parameters).
// The fan computations reproduce torch's, including ConvTranspose's fan_in = weight.size(1) * K.
#include "specnet/nn/init.h"

#include <cmath>

namespace specnet::nn::init {

static std::int64_t receptive_field(const Shape& s) {
  SPECNET_CHECK(s.size() >= 2, "init: fan in and fan out need a weight with at least 2 dimensions, got ",
                shape_str(s));
  std::int64_t r = 1;
  for (std::size_t d = 2; d < s.size(); ++d) r *= s[d];
  return r;
}

std::int64_t fan_in(const Shape& s) {
  const std::int64_t r = receptive_field(s);  // checks the rank first
  return s[1] * r;
}
std::int64_t fan_out(const Shape& s) {
  const std::int64_t r = receptive_field(s);
  return s[0] * r;
}

Tensor uniform(const Shape& shape, double bound, Rng& rng, DType dtype) {
  SPECNET_CHECK(std::isfinite(bound) && bound >= 0, "init::uniform: bound must be finite and >= 0, got ", bound);
  return Tensor::rand(shape, rng, -bound, bound, dtype);
}

Tensor kaiming_uniform(const Shape& shape, double a, Rng& rng, DType dtype) {
  const std::int64_t fi = fan_in(shape);
  SPECNET_CHECK(fi > 0, "init::kaiming_uniform: zero fan_in for weight shape ", shape_str(shape));
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  return uniform(shape, gain * std::sqrt(3.0 / static_cast<double>(fi)), rng, dtype);
}

Tensor default_bias(std::int64_t size, std::int64_t fi, Rng& rng, DType dtype) {
  const double bound = fi > 0 ? 1.0 / std::sqrt(static_cast<double>(fi)) : 0.0;
  return uniform({size}, bound, rng, dtype);
}

}  // namespace specnet::nn::init
