// gaussian_nll_loss(input, target, var, full, eps, reduction): fused autodiff wrapper over
// src/cpu/gaussian_nll.cpp, matching torch.nn.functional.gaussian_nll_loss (var shapes, eps clamp, errors).
#include <cmath>

#include "loss_reduction.h"
#include "specnet/autograd.h"
#include "specnet/cpu/gaussian_nll.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/gaussian_nll.h"
#include "specnet/cuda/sum.h"

namespace specnet {

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full, double eps,
                         Reduction reduction) {
  const char* op = "gaussian_nll_loss";
  check_same_device(op, input, target);
  check_same_device(op, input, var);
  check_same_dtype(op, input, target);
  check_same_dtype(op, input, var);
  SPECNET_CHECK(input.shape() == target.shape(), op, ": input shape ", shape_str(input.shape()), " != target shape ",
                shape_str(target.shape()));
  SPECNET_CHECK(std::isfinite(eps) && eps > 0, op, ": eps must be positive and finite, got ", eps);
  // var: input's shape, input's shape with the last dim 1, or input's shape without the last dim (torch)
  const Shape& s = input.shape();
  bool per_row = false;
  if (var.shape() != s) {
    SPECNET_CHECK(!s.empty(), op, ": var shape ", shape_str(var.shape()), " does not match scalar input");
    Shape lead(s.begin(), s.end() - 1), one = lead;
    one.push_back(1);
    per_row = var.shape() == lead || var.shape() == one;
    SPECNET_CHECK(per_row, op, ": var shape ", shape_str(var.shape()), " must equal input shape ", shape_str(s), " or ",
                  shape_str(one), " (one variance per row)");
  }
  Tensor x = input.contiguous(), t = target.contiguous(), v = var.contiguous();
  SPECNET_DISPATCH_FLOAT(v.dtype(), T, {
    const std::int64_t nv = v.numel();
    bool negative = false;  // a branch-free scan first (vectorised, or a count on the device), the index on failure
    if (v.device() == Device::cuda) {
#ifdef SPECNET_WITH_CUDA
      negative = cuda::count_negative<T>(v.ptr<T>(), nv) > 0;
#endif
    } else {
      const T* p = v.data<T>();
      for (std::int64_t i = 0; i < nv; ++i) negative |= p[i] < T(0);
    }
    if (negative) {
      const Tensor vh = v.detach().to(Device::cpu);
      const T* p = vh.data<T>();
      for (std::int64_t i = 0; i < nv; ++i)
        SPECNET_CHECK(!(p[i] < T(0)), op, ": var has a negative entry (", p[i], " at index ", i, ")");
    }
  });
  const std::int64_t n = x.numel(), D = s.empty() ? 1 : s.back(), rows = D > 0 ? n / D : 0;
  const double scale = detail::loss_scale(reduction, n);
  const Device dev = x.device();
  Tensor out = Tensor::empty(detail::loss_shape(reduction, s), x.dtype(), dev);
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    T* o = reduction == Reduction::none ? out.ptr<T>() : nullptr;
    double total =
        SPECNET_KERNEL(dev, gaussian_nll_forward, o, x.ptr<T>(), t.ptr<T>(), v.ptr<T>(), rows, D, per_row, eps, full);
    if (!o) detail::store_reduced(out, total, scale);
  });
  if (needs_grad({&x, &t, &v})) {
    SavedTensor sx(x, op), st(t, op), sv(v, op);
    const std::int64_t stride = reduction == Reduction::none ? 1 : 0;
    attach_grad_fn(out, op, {x, t, v},
                   [x, t, v, sx, st, sv, stride, scale, rows, D, per_row, eps, dev](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dt = grad_buffer(t), dv = grad_buffer(v);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        SPECNET_KERNEL(dev, gaussian_nll_backward, dx.defined() ? dx.ptr<T>() : nullptr,
                       dt.defined() ? dt.ptr<T>() : nullptr, dv.defined() ? dv.ptr<T>() : nullptr, sx.get().ptr<T>(),
                       st.get().ptr<T>(), sv.get().ptr<T>(), dout.ptr<T>(), stride, scale, rows, D, per_row, eps);
      });
    });
  }
  return out;
}

}  // namespace specnet
