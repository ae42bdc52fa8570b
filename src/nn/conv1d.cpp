// nn::Conv1d over ops::conv1d; reset_parameters as torch.nn.Conv1d: kaiming_uniform_(a=sqrt(5)) on the
// (O, C, K) weight (bound 1/sqrt(C K)) then bias U(-1/sqrt(C K), 1/sqrt(C K)).
#include <cmath>

#include "specnet/nn/conv.h"
#include "specnet/nn/init.h"
#include "specnet/ops/conv.h"

namespace specnet::nn {

Conv1d::Conv1d(std::int64_t in, std::int64_t out, std::int64_t k, Rng& rng, Conv1dOptions o)
    : in_channels(in), out_channels(out), kernel_size(k), opt(o) {
  SPECNET_CHECK(in > 0 && out > 0 && k > 0, "Conv1d: channels and kernel_size must be positive, got in=", in,
                " out=", out, " kernel=", k);
  SPECNET_CHECK(o.stride > 0 && o.dilation > 0 && o.padding >= 0, "Conv1d: need stride > 0, dilation > 0, ",
                "padding >= 0; got stride=", o.stride, " dilation=", o.dilation, " padding=", o.padding);
  SPECNET_CHECK(o.output_padding == 0, "Conv1d: output_padding applies to ConvTranspose1d only");
  weight = register_parameter("weight", init::kaiming_uniform({out, in, k}, std::sqrt(5.0), rng, o.dtype));
  if (o.bias) bias = register_parameter("bias", init::default_bias(out, init::fan_in(weight.shape()), rng, o.dtype));
}

Tensor Conv1d::forward(const Tensor& x) { return conv1d(x, weight, bias, opt.stride, opt.padding, opt.dilation); }

}  // namespace specnet::nn
