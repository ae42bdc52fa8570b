// sum / mean over all elements or over dims (keepdim as torch.sum / torch.mean) and sum_to_shape
// (torch's sum_to_size). Runs of adjacent reduced dims are summed one block at a time, innermost first.
#include "specnet/cpu/sum.h"
#include "specnet/cuda/add.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/sum.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "reduce_dims.h"
#include "specnet/autograd.h"
#include "specnet/cpu/add.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/reduce.h"

namespace specnet {
namespace {

// Sums contiguous x over the dims flagged in `reduced` (one flag per dim of x), multiplying by `scale`.
// Returns the keepdim-shaped result (no graph).
Tensor sum_flagged(const Tensor& x, const std::vector<bool>& reduced, double scale) {
  Shape shape = x.shape();
  // runs [d0, d1) of adjacent reduced dims with more than one element, innermost first
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  for (std::size_t d1 = shape.size(); d1 > 0;) {
    if (!reduced[d1 - 1]) {
      --d1;
      continue;
    }
    std::size_t d0 = d1 - 1;
    while (d0 > 0 && reduced[d0 - 1]) --d0;
    if (detail::axis_view(shape, d0, d1).n != 1) runs.push_back({d0, d1});
    d1 = d0;
  }
  if (runs.empty()) runs.push_back({shape.size(), shape.size()});  // nothing to sum: a scaled copy
  Tensor cur = x;
  for (std::size_t r = 0; r < runs.size(); ++r) {
    const auto [d0, d1] = runs[r];
    const detail::AxisView v = detail::axis_view(shape, d0, d1);
    for (std::size_t d = d0; d < d1; ++d) shape[d] = 1;
    Tensor next = Tensor::empty(shape, x.dtype(), x.device());
    const double s = r + 1 == runs.size() ? scale : 1.0;  // the last pass applies the scale
    SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
      SPECNET_KERNEL(x.device(), sum_axis_forward, next.ptr<T>(), cur.ptr<T>(), v.outer, v.n, v.inner, s);
    });
    cur = next;
  }
  return cur;
}

// The differentiable reduction behind sum / mean / sum_to_shape: result has `out_shape` (same numel as
// the keepdim shape); the gradient broadcasts scale * dout back over x.
Tensor reduce_sum(const char* name, const Tensor& x_in, const std::vector<bool>& reduced, double scale,
                  const Shape& out_shape) {
  Tensor x = x_in.contiguous();
  Tensor kept = sum_flagged(x, reduced, scale);
  Tensor out = kept.reshape(out_shape);
  if (needs_grad({&x})) {
    const Shape kept_shape = kept.shape();
    attach_grad_fn(out, name, {x}, [x, kept_shape, scale](const Tensor& dout) {
      Tensor dx = grad_buffer(x);
      Tensor g = dout.reshape(kept_shape);
      if (scale != 1.0) g = mul(g, scale);
      g = g.contiguous();
      const cpu::BroadcastPlan plan = cpu::make_broadcast_plan(x.shape(), x.shape(), kept_shape);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T,
                             { SPECNET_KERNEL(x.device(), add_forward, dx.ptr<T>(), dx.ptr<T>(), g.ptr<T>(), plan); });
    });
  }
  return out;
}

// Flags for `dims` of x (empty dims = all, as torch.sum(x, dim=[])) and the output shape.
std::vector<bool> flag_dims(const char* op, const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim,
                            Shape& out_shape, std::int64_t& count) {
  const std::size_t nd = x.shape().size();
  std::vector<bool> reduced(nd, dims.empty());
  for (std::int64_t d : dims) {
    const std::int64_t k = detail::normalize_dim(op, d, x.shape());
    SPECNET_CHECK(!reduced[k], op, ": dim ", d, " appears more than once in the dim list");
    reduced[k] = true;
  }
  out_shape.clear();
  count = 1;
  for (std::size_t d = 0; d < nd; ++d) {
    if (reduced[d]) count *= x.shape()[d];
    if (!reduced[d])
      out_shape.push_back(x.shape()[d]);
    else if (keepdim)
      out_shape.push_back(1);
  }
  return reduced;
}

}  // namespace

Tensor sum(const Tensor& x) { return reduce_sum("sum", x, std::vector<bool>(x.shape().size(), true), 1.0, {}); }

Tensor mean(const Tensor& x) {
  return reduce_sum("mean", x, std::vector<bool>(x.shape().size(), true), 1.0 / static_cast<double>(x.numel()), {});
}

Tensor sum(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  Shape out_shape;
  std::int64_t count;
  auto reduced = flag_dims("sum", x, dims, keepdim, out_shape, count);
  return reduce_sum("sum", x, reduced, 1.0, out_shape);
}

Tensor mean(const Tensor& x, const std::vector<std::int64_t>& dims, bool keepdim) {
  Shape out_shape;
  std::int64_t count;
  auto reduced = flag_dims("mean", x, dims, keepdim, out_shape, count);
  return reduce_sum("mean", x, reduced, 1.0 / static_cast<double>(count), out_shape);
}

Tensor sum_to_shape(const Tensor& x, const Shape& shape) {
  const Shape& xs = x.shape();
  bool ok = shape.size() <= xs.size();
  for (std::size_t k = 0; ok && k < shape.size(); ++k) {
    const std::int64_t s = shape[shape.size() - 1 - k];
    ok = s == xs[xs.size() - 1 - k] || s == 1;
  }
  SPECNET_CHECK(ok, "sum_to_shape: shape ", shape_str(xs), " cannot be summed to ", shape_str(shape), " (",
                shape_str(shape), " must broadcast to ", shape_str(xs), ")");
  const std::size_t lead = xs.size() - shape.size();
  std::vector<bool> reduced(xs.size());
  for (std::size_t d = 0; d < xs.size(); ++d) reduced[d] = d < lead || (shape[d - lead] == 1 && xs[d] != 1);
  return reduce_sum("sum_to_shape", x, reduced, 1.0, shape);
}

}  // namespace specnet
