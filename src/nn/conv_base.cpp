// nn::Conv1dBase: option checks and torch's reset_parameters for both 1-d convolutions (kaiming_uniform_
// with a=sqrt(5) on the weight, then the bias, from one Rng; fan_in = weight.size(1) * K as torch computes it).
#include <cmath>

#include "specnet/nn/conv.h"
#include "specnet/nn/init.h"

namespace specnet::nn {

Conv1dBase::Conv1dBase(const char* name, std::int64_t in, std::int64_t out, std::int64_t k, bool transposed, Rng& rng,
                       const Conv1dOptions& o)
    : in_channels(in), out_channels(out), kernel_size(k), opt(o) {
  SPECNET_CHECK(in > 0 && out > 0 && k > 0, name, ": channels and kernel_size must be positive, got in=", in,
                " out=", out, " kernel=", k);
  SPECNET_CHECK(o.stride > 0 && o.dilation > 0 && o.padding >= 0 && o.output_padding >= 0, name,
                ": need stride > 0, dilation > 0, padding >= 0, output_padding >= 0; got stride=", o.stride,
                " dilation=", o.dilation, " padding=", o.padding, " output_padding=", o.output_padding);
  if (transposed) {
    // torch: output_padding must be smaller than either stride or dilation
    SPECNET_CHECK(o.output_padding < o.stride || o.output_padding < o.dilation, name, ": output_padding ",
                  o.output_padding, " must be smaller than stride (", o.stride, ") or dilation (", o.dilation, ")");
  } else {
    SPECNET_CHECK(o.output_padding == 0, name, ": output_padding applies to ConvTranspose1d only");
  }
  const Shape w_shape = transposed ? Shape{in, out, k} : Shape{out, in, k};
  weight = register_parameter("weight", init::kaiming_uniform(w_shape, std::sqrt(5.0), rng, o.dtype));
  if (o.bias) bias = register_parameter("bias", init::default_bias(out, init::fan_in(w_shape), rng, o.dtype));
}

}  // namespace specnet::nn
