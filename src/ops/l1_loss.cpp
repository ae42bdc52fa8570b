// l1_loss(input, target, reduction) = reduce(|input - target|), composed from sub / abs / sum / mean;
// matches torch.nn.functional.l1_loss (gradient sign(input - target), 0 where equal).
#include "specnet/ops/arith.h"
#include "specnet/ops/loss.h"
#include "specnet/ops/math.h"
#include "specnet/ops/reduce.h"

namespace specnet {

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_dtype("l1_loss", input, target);
  SPECNET_CHECK(input.shape() == target.shape(), "l1_loss: input shape ", shape_str(input.shape()), " != target shape ",
                shape_str(target.shape()));
  Tensor e = abs(sub(input, target));
  if (reduction == Reduction::none) return e;
  return reduction == Reduction::sum ? sum(e) : mean(e);
}

}  // namespace specnet
