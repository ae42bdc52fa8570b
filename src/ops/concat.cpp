// concat(xs, dim): autodiff wrapper over src/cpu/concat.cpp, matching torch.cat (all inputs share dtype,
// rank and every size except `dim`); each input's gradient is its slice of dout.
#include "specnet/ops/concat.h"

#include "reduce_dims.h"
#include "specnet/autograd.h"
#include "specnet/cpu/concat.h"
#include "specnet/cuda/concat.h"
#include "specnet/cuda/dispatch.h"

namespace specnet {

Tensor concat(const std::vector<Tensor>& xs_in, std::int64_t dim) {
  SPECNET_CHECK(!xs_in.empty(), "concat: needs at least one tensor");
  for (std::size_t j = 0; j < xs_in.size(); ++j) {
    SPECNET_CHECK(xs_in[j].defined(), "concat: tensor ", j, " is undefined");
    check_same_device("concat", xs_in[0], xs_in[j]);
  }
  const Shape& s0 = xs_in[0].shape();
  SPECNET_CHECK(!s0.empty(), "concat: zero-dimensional tensors cannot be concatenated");
  const std::int64_t d = detail::normalize_dim("concat", dim, s0);
  Shape out_shape = s0;
  out_shape[d] = 0;
  std::vector<Tensor> xs;
  std::vector<std::int64_t> widths;
  for (std::size_t j = 0; j < xs_in.size(); ++j) {
    const Shape& s = xs_in[j].shape();
    check_same_dtype("concat", xs_in[0], xs_in[j]);
    bool ok = s.size() == s0.size();
    for (std::size_t k = 0; ok && k < s.size(); ++k) ok = static_cast<std::int64_t>(k) == d || s[k] == s0[k];
    SPECNET_CHECK(ok, "concat: tensor ", j, " has shape ", shape_str(s), " but tensor 0 has ", shape_str(s0),
                  "; all sizes except dim ", d, " must match");
    out_shape[d] += s[d];
    xs.push_back(xs_in[j].contiguous());
    widths.push_back(detail::axis_view(s, d, s.size()).n);  // size(d) * prod(shape[d+1:])
  }
  const std::int64_t outer = detail::axis_view(s0, d, d + 1).outer;
  const std::int64_t k = static_cast<std::int64_t>(xs.size());
  const Device dev = xs[0].device();
  Tensor out = Tensor::empty(out_shape, xs[0].dtype(), dev);
  SPECNET_DISPATCH_FLOAT(out.dtype(), T, {
    std::vector<const T*> ptrs;  // host array of pointers on `dev`
    for (auto& x : xs) ptrs.push_back(x.ptr<T>());
    SPECNET_KERNEL(dev, concat_forward, out.ptr<T>(), ptrs.data(), widths.data(), k, outer);
  });
  bool any = false;
  for (const auto& x : xs) any = any || needs_grad({&x});
  if (any) {
    attach_grad_fn(out, "concat", xs, [xs, widths, k, outer, dev](const Tensor& dout) {
      SPECNET_DISPATCH_FLOAT(dout.dtype(), T, {
        std::vector<Tensor> grads;
        std::vector<T*> ptrs;
        for (const auto& x : xs) {
          grads.push_back(grad_buffer(x));
          ptrs.push_back(grads.back().defined() ? grads.back().ptr<T>() : nullptr);
        }
        SPECNET_KERNEL(dev, concat_backward, ptrs.data(), dout.ptr<T>(), widths.data(), k, outer);
      });
    });
  }
  return out;
}

}  // namespace specnet
