// Differentiable layout ops: views (reshape, slice, transpose, squeeze) share storage and route the
// gradient back through the base's strides; copies (contiguous, clone, casts) allocate.
#include <algorithm>

#include "specnet/autograd.h"
#include "specnet/cpu/copy.h"
#include "specnet/cuda/copy.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/runtime.h"
#include "specnet/tensor.h"

namespace specnet {

Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, std::int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl().storage;
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(impl);
}

namespace {
// Describes a view relative to its base as (shape, strides, offset) in the base's *contiguous* index
// space, so that the gradient (always contiguous) can be addressed the same way.
struct Relayout {
  Shape shape, strides;
  std::int64_t offset = 0;
};

Tensor view_with_grad(const Tensor& base, const Relayout& on_storage, const Relayout& on_contig, const char* op) {
  Tensor v = make_view(base, on_storage.shape, on_storage.strides, on_storage.offset);
  if (needs_grad({&base})) {
    attach_grad_fn(v, op, {base}, [base, on_contig](const Tensor& dout) {
      Tensor g = grad_buffer(base);
      SPECNET_DISPATCH_FLOAT(g.dtype(), T, {
        SPECNET_KERNEL(g.device(), strided_accumulate, g.ptr<T>() + on_contig.offset, on_contig.strides,
                       dout.ptr<T>(), on_contig.shape);
      });
    });
  }
  return v;
}

std::int64_t norm_dim(std::int64_t d, std::int64_t nd, const char* op) {
  if (d < 0) d += nd;
  SPECNET_CHECK(d >= 0 && d < nd, op, ": dimension out of range for a ", nd, "-d tensor");
  return d;
}
}  // namespace

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

namespace {
// g += d (same shape, dtype and device; both contiguous)
void accumulate_into(Tensor g, const Tensor& d) {
  SPECNET_DISPATCH_FLOAT(g.dtype(), T, { SPECNET_KERNEL(g.device(), accumulate, g.ptr<T>(), d.ptr<T>(), g.numel()); });
}

// A contiguous copy of x in dtype `target` on x's device (no graph).
Tensor strided_copy_of(const Tensor& x, DType target) {
  Tensor out = Tensor::empty(x.shape(), target, x.device());
  SPECNET_DISPATCH_FLOAT(target, TD, {
    SPECNET_DISPATCH_FLOAT(x.dtype(), TS, {
      SPECNET_KERNEL(x.device(), strided_copy, out.ptr<TD>(), static_cast<const TS*>(x.raw_data()), x.shape(),
                     x.strides());
    });
  });
  return out;
}

// A contiguous copy of x (any layout) on device `target` (no graph).
Tensor device_copy_of(const Tensor& x_in, Device target) {
#ifdef SPECNET_WITH_CUDA
  const Tensor x = x_in.detach().contiguous();  // on x's own device, no graph
  Tensor out = Tensor::empty(x.shape(), x.dtype(), target);
  const std::size_t nbytes = static_cast<std::size_t>(x.numel()) * dtype_size(x.dtype());
  if (target == Device::cuda)
    cuda::copy_to_device(out.raw_data(), x.raw_data(), nbytes);
  else
    cuda::copy_to_host(out.raw_data(), x.raw_data(), nbytes);
  return out;
#else
  (void)x_in;
  cuda::throw_built_without_cuda(str("to(", device_name(target), ")").c_str());
#endif
}
}  // namespace

Tensor Tensor::clone() const {
  Tensor out = strided_copy_of(*this, dtype());
  if (needs_grad({this})) {
    Tensor self = *this;
    attach_grad_fn(out, "clone", {self}, [self](const Tensor& dout) { accumulate_into(grad_buffer(self), dout); });
  }
  return out;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor out = strided_copy_of(*this, target);
  if (needs_grad({this})) {
    Tensor self = *this;
    attach_grad_fn(out, "to", {self}, [self](const Tensor& dout) {
      Tensor g = grad_buffer(self);
      accumulate_into(g, dout.detach().to(g.dtype()));
    });
  }
  return out;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
#ifdef SPECNET_WITH_CUDA
  SPECNET_CHECK(target != Device::cuda || cuda::cuda_available(), "to(cuda): device cuda is not available: ",
                cuda::device_description());
#endif
  Tensor out = device_copy_of(*this, target);
  if (needs_grad({this})) {
    Tensor self = *this;
    attach_grad_fn(out, "to_device", {self}, [self](const Tensor& dout) {
      Tensor g = grad_buffer(self);
      accumulate_into(g, device_copy_of(dout, g.device()));
    });
  }
  return out;
}

Tensor Tensor::detach() const {
  Tensor v = make_view(*this, shape(), strides(), impl().offset);
  return v;
}

Tensor Tensor::reshape(const Shape& new_shape_in) const {
  Shape ns = new_shape_in;
  std::int64_t known = 1, infer = -1;
  for (std::size_t i = 0; i < ns.size(); ++i) {
    if (ns[i] == -1) {
      SPECNET_CHECK(infer < 0, "reshape: only one dimension can be -1 in ", shape_str(new_shape_in));
      infer = static_cast<std::int64_t>(i);
    } else {
      SPECNET_CHECK(ns[i] >= 0, "reshape: invalid size in ", shape_str(new_shape_in));
      known *= ns[i];
    }
  }
  if (infer >= 0) {
    SPECNET_CHECK(known > 0 && numel() % known == 0, "reshape: cannot reshape ", shape_str(shape()), " into ",
                  shape_str(new_shape_in));
    ns[infer] = numel() / known;
  }
  SPECNET_CHECK(shape_numel(ns) == numel(), "reshape: cannot reshape ", shape_str(shape()), " (", numel(),
                " elements) into ", shape_str(new_shape_in));
  Tensor base = contiguous();
  Relayout st{ns, contiguous_strides(ns), base.impl().offset};
  Relayout ct{ns, contiguous_strides(ns), 0};
  return view_with_grad(base, st, ct, "reshape");
}

Tensor Tensor::flatten(std::int64_t start_dim) const {
  start_dim = norm_dim(start_dim, std::max<std::int64_t>(dim(), 1), "flatten");
  Shape ns(shape().begin(), shape().begin() + start_dim);
  std::int64_t rest = 1;
  for (std::int64_t d = start_dim; d < dim(); ++d) rest *= shape()[d];
  ns.push_back(rest);
  return reshape(ns);
}

Tensor Tensor::slice(std::int64_t d, std::int64_t start, std::int64_t end) const {
  d = norm_dim(d, dim(), "slice");
  const std::int64_t n = shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  SPECNET_CHECK(start >= 0 && start <= end && end <= n, "slice: range [", start, ", ", end, ") out of bounds for dim ",
                d, " of size ", n);
  Relayout st{shape(), strides(), impl().offset + start * strides()[d]};
  st.shape[d] = end - start;
  Shape cs = contiguous_strides(shape());
  Relayout ct{st.shape, cs, start * cs[d]};
  return view_with_grad(*this, st, ct, "slice");
}

Tensor Tensor::transpose(std::int64_t d0, std::int64_t d1) const {
  d0 = norm_dim(d0, dim(), "transpose");
  d1 = norm_dim(d1, dim(), "transpose");
  Relayout st{shape(), strides(), impl().offset};
  std::swap(st.shape[d0], st.shape[d1]);
  std::swap(st.strides[d0], st.strides[d1]);
  Relayout ct{st.shape, contiguous_strides(shape()), 0};
  std::swap(ct.strides[d0], ct.strides[d1]);
  return view_with_grad(*this, st, ct, "transpose");
}

Tensor Tensor::unsqueeze(std::int64_t d) const {
  d = norm_dim(d, dim() + 1, "unsqueeze");
  Shape ns = shape();
  ns.insert(ns.begin() + d, 1);
  return reshape(ns);
}

Tensor Tensor::squeeze(std::int64_t d) const {
  d = norm_dim(d, dim(), "squeeze");
  SPECNET_CHECK(shape()[d] == 1, "squeeze: dimension ", d, " has size ", shape()[d], ", not 1");
  Shape ns = shape();
  ns.erase(ns.begin() + d);
  return reshape(ns);
}

}  // namespace specnet
