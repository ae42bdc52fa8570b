// nn::MaskedLinear: nflows' MaskedLinear._get_mask_and_degrees (non-random masks) over the masked_linear op;
// weight and bias drawn as torch.nn.Linear (kaiming_uniform_(a=sqrt(5)), then bias) from the given Rng.
#include <algorithm>
#include <cmath>

#include "specnet/nn/init.h"
#include "specnet/nn/made.h"
#include "specnet/ops/masked_linear.h"

namespace specnet::nn {

MaskedLinear::MaskedLinear(const std::vector<std::int64_t>& in_degrees, std::int64_t out, std::int64_t D,
                           bool is_output, Rng& rng, DType dtype) {
  const auto I = static_cast<std::int64_t>(in_degrees.size());
  SPECNET_CHECK(I > 0 && out > 0 && D > 0, "MaskedLinear: sizes must be positive (in ", I, ", out ", out,
                ", features ", D, ")");
  SPECNET_CHECK(!is_output || out % D == 0, "MaskedLinear: output features ", out, " not a multiple of ", D);
  out_degrees.resize(static_cast<std::size_t>(out));
  const std::int64_t hi = std::max<std::int64_t>(1, D - 1), lo = std::min<std::int64_t>(1, D - 1);
  for (std::int64_t o = 0; o < out; ++o) out_degrees[o] = is_output ? o / (out / D) + 1 : o % hi + lo;
  std::vector<double> m(static_cast<std::size_t>(out * I));  // (O, I)
  for (std::int64_t o = 0; o < out; ++o)
    for (std::int64_t i = 0; i < I; ++i)
      m[o * I + i] = is_output ? out_degrees[o] > in_degrees[i] : out_degrees[o] >= in_degrees[i];
  weight = register_parameter("weight", init::kaiming_uniform({out, I}, std::sqrt(5.0), rng, dtype));
  bias = register_parameter("bias", init::default_bias(out, I, rng, dtype));
  mask = register_buffer("mask", Tensor::from_vector(m, {out, I}, dtype));
}

Tensor MaskedLinear::forward(const Tensor& x) { return masked_linear(x, weight, mask, bias); }

Tensor MaskedLinear::forward_rows(const Tensor& x, std::int64_t o0, std::int64_t o1) {
  SPECNET_CHECK(0 <= o0 && o0 < o1 && o1 <= weight.size(0), "MaskedLinear: output rows [", o0, ", ", o1,
                ") outside [0, ", weight.size(0), ")");
  return masked_linear(x, weight.slice(0, o0, o1), mask.slice(0, o0, o1), bias.slice(0, o0, o1));
}

}  // namespace specnet::nn
