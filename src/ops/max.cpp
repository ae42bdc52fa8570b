// max over all elements or one dim, and argmax: wrappers over src/cpu/max.cpp matching torch.max /
// torch.max(dim).values / torch.argmax (first maximal index; the gradient goes to that element only).
#include "specnet/cpu/max.h"

#include <memory>
#include <vector>

#include "reduce_dims.h"
#include "specnet/autograd.h"
#include "specnet/ops/reduce.h"

namespace specnet {
namespace {

using Indices = std::shared_ptr<std::vector<std::int64_t>>;

// Max of contiguous x viewed as (outer, n, inner): values (outer * inner) in x's dtype and their indices.
Tensor max_view(const char* op, const Tensor& x, const detail::AxisView& v, const Shape& out_shape, Indices& idx) {
  SPECNET_CHECK(v.n > 0, op, ": cannot reduce an empty dimension (shape ", shape_str(x.shape()), ")");
  Tensor out = Tensor::empty(out_shape, x.dtype());
  idx = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(v.outer * v.inner));
  SPECNET_DISPATCH_FLOAT(x.dtype(), T,
                         { cpu::max_axis_forward<T>(out.data<T>(), idx->data(), x.data<T>(), v.outer, v.n, v.inner); });
  return out;
}

Tensor max_impl(const char* op, const Tensor& x_in, const detail::AxisView& v, const Shape& out_shape) {
  check_cpu(op, x_in);
  Tensor x = x_in.contiguous();
  Indices idx;
  Tensor out = max_view(op, x, v, out_shape, idx);
  if (needs_grad({&x})) {
    attach_grad_fn(out, op, {x}, [x, v, idx](const Tensor& dout) {
      Tensor dx = grad_buffer(x);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        cpu::max_axis_backward<T>(dx.data<T>(), idx->data(), dout.data<T>(), v.outer, v.n, v.inner);
      });
    });
  }
  return out;
}

Shape reduced_shape(const Shape& s, std::int64_t dim, bool keepdim) {
  Shape out = s;
  if (keepdim)
    out[dim] = 1;
  else
    out.erase(out.begin() + dim);
  return out;
}

}  // namespace

Tensor max(const Tensor& x) {
  detail::AxisView v;
  v.n = x.numel();
  return max_impl("max", x, v, {});
}

Tensor max(const Tensor& x, std::int64_t dim, bool keepdim) {
  const std::int64_t d = detail::normalize_dim("max", dim, x.shape());
  return max_impl("max", x, detail::axis_view(x.shape(), d, d + 1), reduced_shape(x.shape(), d, keepdim));
}

Tensor argmax(const Tensor& x_in, std::int64_t dim, bool keepdim) {
  check_cpu("argmax", x_in);
  const std::int64_t d = detail::normalize_dim("argmax", dim, x_in.shape());
  // indices are returned in x's dtype: float32 holds integers exactly only up to 2^24
  SPECNET_CHECK(x_in.dtype() != DType::f32 || x_in.size(d) <= (std::int64_t{1} << 24), "argmax: dim ", dim, " has ",
                x_in.size(d), " elements, more than float32 indices hold exactly; cast the input to float64");
  Tensor x = x_in.contiguous().detach();
  Indices idx;
  const Shape shape = reduced_shape(x.shape(), d, keepdim);
  max_view("argmax", x, detail::axis_view(x.shape(), d, d + 1), shape, idx);
  Tensor out = Tensor::empty(shape, x.dtype());
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    T* o = out.data<T>();
    for (std::size_t i = 0; i < idx->size(); ++i) o[i] = static_cast<T>((*idx)[i]);
  });
  return out;
}

}  // namespace specnet
