// nn::ConvTranspose1d over ops::conv_transpose1d; reset_parameters as torch: the (C, O, K) weight's fan_in
// is computed by torch from size(1) = O, so both weight and bias use the bound 1/sqrt(O K).
#include <cmath>

#include "specnet/nn/conv.h"
#include "specnet/nn/init.h"
#include "specnet/ops/conv.h"

namespace specnet::nn {

ConvTranspose1d::ConvTranspose1d(std::int64_t in, std::int64_t out, std::int64_t k, Rng& rng, Conv1dOptions o)
    : in_channels(in), out_channels(out), kernel_size(k), opt(o) {
  SPECNET_CHECK(in > 0 && out > 0 && k > 0, "ConvTranspose1d: channels and kernel_size must be positive, got in=",
                in, " out=", out, " kernel=", k);
  SPECNET_CHECK(o.stride > 0 && o.dilation > 0 && o.padding >= 0 && o.output_padding >= 0,
                "ConvTranspose1d: need stride > 0, dilation > 0, padding >= 0, output_padding >= 0");
  // torch: output_padding must be smaller than either stride or dilation
  SPECNET_CHECK(o.output_padding < o.stride || o.output_padding < o.dilation, "ConvTranspose1d: output_padding ",
                o.output_padding, " must be smaller than stride (", o.stride, ") or dilation (", o.dilation, ")");
  weight = register_parameter("weight", init::kaiming_uniform({in, out, k}, std::sqrt(5.0), rng, o.dtype));
  if (o.bias) bias = register_parameter("bias", init::default_bias(out, init::fan_in(weight.shape()), rng, o.dtype));
}

Tensor ConvTranspose1d::forward(const Tensor& x) {
  return conv_transpose1d(x, weight, bias, opt.stride, opt.padding, opt.output_padding, opt.dilation);
}

}  // namespace specnet::nn
