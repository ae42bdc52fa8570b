// masked_linear: linear(x, w * mask, b) composed from the mul and linear ops (their backward kernels give
// dW * mask and dx through the masked weight), matching nflows' MaskedLinear.
#include "specnet/ops/masked_linear.h"

#include "specnet/ops/arith.h"
#include "specnet/ops/linear.h"

namespace specnet {

Tensor masked_linear(const Tensor& x, const Tensor& w, const Tensor& mask, const Tensor& b) {
  check_dim("masked_linear", w, 2, "weight (O, I)");
  check_same_device("masked_linear", w, mask);
  SPECNET_CHECK(mask.shape() == w.shape(), "masked_linear: mask shape ", shape_str(mask.shape()), " != weight shape ",
                shape_str(w.shape()));
  check_same_dtype("masked_linear", w, mask);
  SPECNET_CHECK(!mask.requires_grad(), "masked_linear: the mask must be a constant (requires_grad is set)");
  for (double v : mask.to_vector())
    SPECNET_CHECK(v == 0.0 || v == 1.0, "masked_linear: mask entries must be 0 or 1, got ", v);
  return linear(x, mul(w, mask), b);
}

}  // namespace specnet
