// nn::ConvTranspose1d over ops::conv_transpose1d (torch.nn.ConvTranspose1d forward; init in conv_base.cpp).
#include "specnet/nn/conv.h"
#include "specnet/ops/conv.h"

namespace specnet::nn {

ConvTranspose1d::ConvTranspose1d(std::int64_t in, std::int64_t out, std::int64_t k, Rng& rng, Conv1dOptions o)
    : Conv1dBase("ConvTranspose1d", in, out, k, true, rng, o) {}

Tensor ConvTranspose1d::forward(const Tensor& x) {
  return conv_transpose1d(x, weight, bias, opt.stride, opt.padding, opt.output_padding, opt.dilation);
}

}  // namespace specnet::nn
