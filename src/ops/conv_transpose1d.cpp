// conv_transpose1d(x, w, b): autodiff wrapper over src/cpu/conv_transpose1d.cpp and src/cuda/conv_transpose1d.cu;
// matches torch.nn.functional.conv_transpose1d (groups = 1), including unbatched (C, L) inputs.
#include "conv_common.h"
#include "specnet/cpu/conv_transpose1d.h"
#include "specnet/cuda/conv_transpose1d.h"
#include "specnet/ops/conv.h"

namespace specnet {

Tensor conv_transpose1d(const Tensor& x, const Tensor& w, const Tensor& b, std::int64_t stride, std::int64_t padding,
                        std::int64_t output_padding, std::int64_t dilation) {
  if (x.defined() && x.dim() == 2)
    return conv_transpose1d(x.unsqueeze(0), w, b, stride, padding, output_padding, dilation).squeeze(0);
  detail::check_conv_args("conv_transpose1d", x, w, b, stride, padding, dilation, "weight (C, O, K)", 0);
  SPECNET_CHECK(output_padding >= 0, "conv_transpose1d: negative output_padding is not supported, got ",
                output_padding);
  SPECNET_CHECK(output_padding < stride || output_padding < dilation,
                "conv_transpose1d: output_padding must be smaller than either stride or dilation, got output_padding ",
                output_padding, ", stride ", stride, ", dilation ", dilation);
  const std::int64_t L = x.size(2), K = w.size(2);
  const std::int64_t M = (L - 1) * stride - 2 * padding + dilation * (K - 1) + output_padding + 1;
  SPECNET_CHECK(M >= 1, "conv_transpose1d: output length ", M, " is not positive (input ", shape_str(x.shape()),
                ", K = ", K, ", stride ", stride, ", padding ", padding, ", output_padding ", output_padding,
                ", dilation ", dilation, ")");
  const detail::ConvDims d{x.size(0), x.size(1), L, w.size(1), M, K, stride, padding, dilation};
  return detail::conv_like_op(
      "conv_transpose1d", x, w, b, d,
      [](Device dev, auto* out, const auto* in, const auto* wp, const auto* bp, const detail::ConvDims& g) {
        SPECNET_KERNEL(dev, conv_transpose1d_forward, out, in, wp, bp, g.B, g.C, g.L, g.O, g.M, g.K, g.stride, g.pad,
                       g.dil);
      },
      [](Device dev, auto* din, const auto* dout, const auto* wp, const detail::ConvDims& g) {
        SPECNET_KERNEL(dev, conv_transpose1d_backward_data, din, dout, wp, g.B, g.C, g.L, g.O, g.M, g.K, g.stride,
                       g.pad, g.dil);
      },
      [](Device dev, auto* dw, auto* db, const auto* dout, const auto* in, const detail::ConvDims& g) {
        SPECNET_KERNEL(dev, conv_transpose1d_backward_weight, dw, db, dout, in, g.B, g.C, g.L, g.O, g.M, g.K, g.stride,
                       g.pad, g.dil);
      });
}

}  // namespace specnet
