// softplus(x, beta, threshold): autodiff wrapper over src/cpu/softplus.cpp; matches
// torch.nn.functional.softplus.
#include "specnet/cpu/softplus.h"
#include "specnet/cuda/softplus.h"

#include <cmath>

#include "specnet/ops/activation.h"
#include "unary_op.h"

namespace specnet {

Tensor softplus(const Tensor& x, double beta, double threshold) {
  SPECNET_CHECK(std::isfinite(beta) && beta != 0.0, "softplus: beta must be finite and non-zero, got ", beta);
  SPECNET_CHECK(!std::isnan(threshold), "softplus: threshold is NaN");
  return detail::unary_op(
      "softplus", x,
      [=](Device d, auto* out, const auto* in, std::int64_t n) {
        SPECNET_KERNEL(d, softplus_forward, out, in, n, beta, threshold);
      },
      [=](Device d, auto* din, const auto* in, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, softplus_backward, din, in, dout, n, beta, threshold);
      });
}

}  // namespace specnet
