// nn::Conv1d over ops::conv1d (torch.nn.Conv1d forward; parameters and init in conv_base.cpp).
#include "specnet/nn/conv.h"
#include "specnet/ops/conv.h"

namespace specnet::nn {

Conv1d::Conv1d(std::int64_t in, std::int64_t out, std::int64_t k, Rng& rng, Conv1dOptions o)
    : Conv1dBase("Conv1d", in, out, k, false, rng, o) {}

Tensor Conv1d::forward(const Tensor& x) { return conv1d(x, weight, bias, opt.stride, opt.padding, opt.dilation); }

}  // namespace specnet::nn
