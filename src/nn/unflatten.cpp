// nn::Unflatten forward: a differentiable reshape of one dimension, as torch.nn.Unflatten.
#include "specnet/nn/unflatten.h"

namespace specnet::nn {

Tensor Unflatten::forward(const Tensor& x) {
  std::int64_t d = dim_ < 0 ? dim_ + x.dim() : dim_;
  SPECNET_CHECK(d >= 0 && d < x.dim(), "Unflatten: dim ", dim_, " out of range for input ", shape_str(x.shape()));
  SPECNET_CHECK(shape_numel(sizes_) == x.size(d), "Unflatten: cannot split dim ", d, " of size ", x.size(d),
                " into ", shape_str(sizes_));
  Shape s(x.shape().begin(), x.shape().begin() + d);
  s.insert(s.end(), sizes_.begin(), sizes_.end());
  s.insert(s.end(), x.shape().begin() + d + 1, x.shape().end());
  return x.reshape(s);
}

}  // namespace specnet::nn
