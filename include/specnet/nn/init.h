// Parameter initialisation with PyTorch's default rules (torch.nn.init), drawn from an explicit Rng.
// Linear / Conv default: kaiming_uniform_(a=sqrt(5)) == U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias alike.
#pragma once
#include "specnet/rng.h"
#include "specnet/tensor.h"

namespace specnet::nn::init {

// torch.nn.init._calculate_fan_in_and_fan_out: fan_in = size(1) * prod(size(2:)), fan_out = size(0) * prod(...).
// Needs at least 2 dimensions (as torch).
std::int64_t fan_in(const Shape& weight_shape);
std::int64_t fan_out(const Shape& weight_shape);

// U(-bound, bound) of the given shape and dtype.
Tensor uniform(const Shape& shape, double bound, Rng& rng, DType dtype = DType::f32);

// kaiming_uniform_(a): bound = gain(leaky_relu, a) * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)).
Tensor kaiming_uniform(const Shape& shape, double a, Rng& rng, DType dtype = DType::f32);

// The default bias of Linear / Conv: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), zero bound when fan_in == 0.
Tensor default_bias(std::int64_t size, std::int64_t fan_in, Rng& rng, DType dtype = DType::f32);

}  // namespace specnet::nn::init
