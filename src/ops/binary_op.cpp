// Broadcast shape rule and gradient reduction for the broadcasting binary ops (NumPy/PyTorch rules:
// trailing dims aligned, size-1 dims stretched; gradients summed back over stretched dims).
#include "binary_op.h"

#include "specnet/cpu/affine.h"
#include "specnet/cuda/affine.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/reduce.h"

namespace specnet {

Shape broadcast_shape(const Shape& a, const Shape& b) {
  const std::size_t nd = std::max(a.size(), b.size());
  Shape out(nd);
  for (std::size_t k = 0; k < nd; ++k) {
    const std::int64_t sa = k < a.size() ? a[a.size() - 1 - k] : 1, sb = k < b.size() ? b[b.size() - 1 - k] : 1;
    SPECNET_CHECK(sa == sb || sa == 1 || sb == 1, "cannot broadcast shapes ", shape_str(a), " and ", shape_str(b),
                  ": dimension -", k + 1, " has sizes ", sa, " and ", sb);
    out[nd - 1 - k] = sa == 1 ? sb : sa;
  }
  return out;
}

namespace detail {

Shape broadcast_for(const char* op, const Tensor& a, const Tensor& b) {
  try {
    return broadcast_shape(a.shape(), b.shape());
  } catch (const Error& e) { throw Error(str(op, ": ", e.what())); }
}

void accumulate_reduced(const Tensor& x, const Tensor& g, double sign) {
  Tensor dx = grad_buffer(x);
  if (!dx.defined()) return;
  Tensor r = g.shape() == x.shape() ? g : sum_to_shape(g, x.shape()).contiguous();
  SPECNET_DISPATCH_FLOAT(dx.dtype(), T,
                         { SPECNET_KERNEL(dx.device(), affine_backward, dx.ptr<T>(), r.ptr<T>(), dx.numel(), sign); });
}

Tensor grad_target(const Tensor& x, const Shape& out_shape) {
  Tensor dx = grad_buffer(x);
  if (!dx.defined() || x.shape() == out_shape) return dx;
  return Tensor::zeros(out_shape, x.dtype(), x.device());
}

void finish_grad_target(const Tensor& x, const Tensor& target) {
  if (target.defined() && target.shape() != x.shape()) accumulate_reduced(x, target, 1.0);
}

}  // namespace detail
}  // namespace specnet
