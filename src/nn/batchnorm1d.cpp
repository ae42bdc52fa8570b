// nn::BatchNorm1d over ops::batch_norm, with torch's forward logic: in training the counter advances and the
// update factor is `momentum` (or 1/count when momentum is None); batch statistics are used whenever
// training or when no running statistics are tracked.
#include <cmath>

#include "specnet/autograd.h"
#include "specnet/nn/batchnorm.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/batchnorm.h"

namespace specnet::nn {

BatchNorm1d::BatchNorm1d(std::int64_t c, BatchNormOptions o) : num_features(c), opt(o) {
  SPECNET_CHECK(c > 0, "BatchNorm1d: num_features must be positive, got ", c);
  SPECNET_CHECK(std::isfinite(o.eps) && o.eps > 0, "BatchNorm1d: eps must be > 0, got ", o.eps);
  SPECNET_CHECK(!o.momentum || (*o.momentum >= 0 && *o.momentum <= 1), "BatchNorm1d: momentum must be in [0, 1], got ",
                o.momentum ? *o.momentum : 0.0);
  if (o.affine) {
    weight = register_parameter("weight", Tensor::ones({c}, o.dtype));
    bias = register_parameter("bias", Tensor::zeros({c}, o.dtype));
  }
  if (o.track_running_stats) {
    running_mean = register_buffer("running_mean", Tensor::zeros({c}, o.dtype));
    running_var = register_buffer("running_var", Tensor::ones({c}, o.dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}, o.dtype));
  }
}

Tensor BatchNorm1d::forward(const Tensor& x) {
  SPECNET_CHECK(x.dim() == 2 || x.dim() == 3, "BatchNorm1d: expected a (B, C) or (B, C, L) input, got ",
                shape_str(x.shape()));
  SPECNET_CHECK(x.size(1) == num_features, "BatchNorm1d: input has ", x.size(1), " channels (shape ",
                shape_str(x.shape()), "), module has ", num_features);
  double factor = opt.momentum ? *opt.momentum : 0.0;
  const bool count = is_training() && opt.track_running_stats;
  // The count is read back only for the cumulative average (momentum None): on the GPU a read is a sync.
  const double batches = count && !opt.momentum ? num_batches_tracked.item() + 1.0 : 0.0;
  if (count && !opt.momentum) factor = 1.0 / batches;
  const bool use_batch_stats = is_training() || !opt.track_running_stats;
  // Untracked statistics: batch statistics always, nothing to update (torch passes None buffers).
  Tensor out = batch_norm(x, opt.track_running_stats ? running_mean : Tensor(),
                          opt.track_running_stats ? running_var : Tensor(), weight, bias, use_batch_stats, factor,
                          opt.eps);
  if (count) {  // advanced only once the op accepted the input
    NoGradGuard no_grad;
    if (opt.momentum)
      num_batches_tracked.copy_(num_batches_tracked + 1.0);
    else
      num_batches_tracked.fill_(batches);
  }
  return out;
}

}  // namespace specnet::nn
