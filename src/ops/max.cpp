// max over all elements or one dim, and argmax: wrappers over src/cpu/max.cpp matching torch.max /
// torch.max(dim).values / torch.argmax (first maximal index; the gradient goes to that element only).
#include "specnet/cpu/max.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/max.h"

#include <memory>
#include <vector>

#include "reduce_dims.h"
#include "specnet/autograd.h"
#include "specnet/ops/reduce.h"

namespace specnet {
namespace {

// Argmax indices (outer * inner int64) live in the storage of a float64 tensor of as many elements (same
// 8-byte width) on x's device, so they come from that device's caching allocator.
struct Indices {
  Tensor storage;  // (outer * inner) float64, holding int64 bit patterns
  std::int64_t* get() const { return static_cast<std::int64_t*>(storage.raw_data()); }
};

// Max of contiguous x viewed as (outer, n, inner): values (outer * inner) in x's dtype and their indices.
Tensor max_view(const char* op, const Tensor& x, const detail::AxisView& v, const Shape& out_shape, Indices& idx) {
  SPECNET_CHECK(v.n > 0, op, ": cannot reduce an empty dimension (shape ", shape_str(x.shape()), ")");
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  idx.storage = Tensor::empty({v.outer * v.inner}, DType::f64, x.device());
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    SPECNET_KERNEL(x.device(), max_axis_forward, out.ptr<T>(), idx.get(), x.ptr<T>(), v.outer, v.n, v.inner);
  });
  return out;
}

Tensor max_impl(const char* op, const Tensor& x_in, const detail::AxisView& v, const Shape& out_shape) {
  Tensor x = x_in.contiguous();
  Indices idx;
  Tensor out = max_view(op, x, v, out_shape, idx);
  if (needs_grad({&x})) {
    attach_grad_fn(out, op, {x}, [x, v, idx](const Tensor& dout) {
      Tensor dx = grad_buffer(x);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        SPECNET_KERNEL(x.device(), max_axis_backward, dx.ptr<T>(), idx.get(), dout.ptr<T>(), v.outer, v.n, v.inner);
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
  const std::int64_t d = detail::normalize_dim("argmax", dim, x_in.shape());
  // indices are returned in x's dtype: float32 holds integers exactly only up to 2^24
  SPECNET_CHECK(x_in.dtype() != DType::f32 || x_in.size(d) <= (std::int64_t{1} << 24), "argmax: dim ", dim, " has ",
                x_in.size(d), " elements, more than float32 indices hold exactly; cast the input to float64");
  Tensor x = x_in.contiguous().detach();
  Indices idx;
  const Shape shape = reduced_shape(x.shape(), d, keepdim);
  max_view("argmax", x, detail::axis_view(x.shape(), d, d + 1), shape, idx);
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  const std::int64_t m = out.numel();
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    if (x.device() == Device::cuda) {
#ifdef SPECNET_WITH_CUDA
      cuda::indices_to_values<T>(out.ptr<T>(), idx.get(), m);
#endif
    } else {
      T* o = out.data<T>();
      for (std::int64_t i = 0; i < m; ++i) o[i] = static_cast<T>(idx.get()[i]);
    }
  });
  return out;
}

}  // namespace specnet
