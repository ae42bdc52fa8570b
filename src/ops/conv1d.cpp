// conv1d(x, w, b): autodiff wrapper over src/cpu/conv1d.cpp and src/cuda/conv1d.cu; matches torch.nn.functional.conv1d
// (groups = 1), including unbatched (C, L) inputs.
#include "conv_common.h"
#include "specnet/cpu/conv1d.h"
#include "specnet/cuda/conv1d.h"
#include "specnet/ops/conv.h"

namespace specnet {

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor& b, std::int64_t stride, std::int64_t padding,
              std::int64_t dilation) {
  if (x.defined() && x.dim() == 2) return conv1d(x.unsqueeze(0), w, b, stride, padding, dilation).squeeze(0);
  detail::check_conv_args("conv1d", x, w, b, stride, padding, dilation, "weight (O, C, K)", 1);
  const std::int64_t L = x.size(2), K = w.size(2), span = dilation * (K - 1) + 1;
  SPECNET_CHECK(L + 2 * padding >= span, "conv1d: padded input length ", L + 2 * padding, " (input ",
                shape_str(x.shape()), ", padding ", padding, ") is shorter than the dilated kernel ", span,
                " (K = ", K, ", dilation ", dilation, ")");
  const detail::ConvDims d{x.size(0), x.size(1), L, w.size(0), (L + 2 * padding - span) / stride + 1, K,
                           stride, padding, dilation};
  return detail::conv_like_op(
      "conv1d", x, w, b, d,
      [](Device dev, auto* out, const auto* in, const auto* wp, const auto* bp, const detail::ConvDims& g) {
        SPECNET_KERNEL(dev, conv1d_forward, out, in, wp, bp, g.B, g.C, g.L, g.O, g.M, g.K, g.stride, g.pad, g.dil);
      },
      [](Device dev, auto* din, const auto* dout, const auto* wp, const detail::ConvDims& g) {
        SPECNET_KERNEL(dev, conv1d_backward_data, din, dout, wp, g.B, g.C, g.L, g.O, g.M, g.K, g.stride, g.pad, g.dil);
      },
      [](Device dev, auto* dw, auto* db, const auto* dout, const auto* in, const detail::ConvDims& g) {
        SPECNET_KERNEL(dev, conv1d_backward_weight, dw, db, dout, in, g.B, g.C, g.L, g.O, g.M, g.K, g.stride, g.pad,
                       g.dil);
      });
}

}  // namespace specnet
