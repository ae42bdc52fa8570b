// Differentiable 1-d convolutions (torch.nn.functional.conv1d / conv_transpose1d, groups = 1).
// Dimension letters: B batch, C input channels, L input length, O output channels, K kernel, M output length.
#pragma once
#include "specnet/tensor.h"

namespace specnet {

// x (B, C, L), w (O, C, K), b (O) or undefined -> (B, O, M), M = (L + 2 pad - dil (K - 1) - 1) / stride + 1
Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), std::int64_t stride = 1,
              std::int64_t padding = 0, std::int64_t dilation = 1);

// x (B, C, L), w (C, O, K), b (O) or undefined -> (B, O, M),
// M = (L - 1) stride - 2 pad + dil (K - 1) + output_padding + 1
Tensor conv_transpose1d(const Tensor& x, const Tensor& w, const Tensor& b = Tensor(), std::int64_t stride = 1,
                        std::int64_t padding = 0, std::int64_t output_padding = 0, std::int64_t dilation = 1);

}  // namespace specnet
