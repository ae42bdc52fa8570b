// Shared plumbing for conv1d and conv_transpose1d (private to src/ops): argument checks with torch's rules
// and the autodiff wrapper that runs a forward kernel and records backward data / weight kernels.
#pragma once
#include "specnet/autograd.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/tensor.h"

namespace specnet::detail {

// Sizes of one call: x (B, C, L), out (B, O, M), kernel K.
struct ConvDims {
  std::int64_t B, C, L, O, M, K, stride, pad, dil;
};

// Checks shared by both ops; `w_layout` names the weight layout in messages, `w_in_dim` is the weight
// dimension that must equal the input channels (1 for conv1d's (O, C, K), 0 for the transposed (C, O, K)).
inline void check_conv_args(const char* op, const Tensor& x, const Tensor& w, const Tensor& b, std::int64_t stride,
                            std::int64_t padding, std::int64_t dilation, const char* w_layout, int w_in_dim) {
  check_dim(op, x, 3, "input (B, C, L)");
  check_dim(op, w, 3, w_layout);
  check_same_dtype(op, x, w);
  check_same_device(op, x, w);
  SPECNET_CHECK(stride >= 1, op, ": stride must be >= 1, got ", stride);
  SPECNET_CHECK(padding >= 0, op, ": negative padding is not supported, got ", padding);
  SPECNET_CHECK(dilation >= 1, op, ": dilation must be >= 1, got ", dilation);
  SPECNET_CHECK(w.size(0) >= 1 && w.size(1) >= 1 && w.size(2) >= 1, op, ": ", w_layout, " ",
                shape_str(w.shape()), " has an empty dimension");
  SPECNET_CHECK(x.size(1) == w.size(w_in_dim), op, ": input ", shape_str(x.shape()), " has ", x.size(1),
                " channels but ", w_layout, " ", shape_str(w.shape()), " expects ", w.size(w_in_dim),
                " (groups = 1)");
  SPECNET_CHECK(x.size(2) >= 1, op, ": input ", shape_str(x.shape()), " has zero length");
  if (b.defined()) {
    const std::int64_t O = w.size(1 - w_in_dim);
    check_same_device(op, x, b);
    check_same_dtype(op, x, b);
    SPECNET_CHECK(b.shape() == Shape{O}, op, ": bias shape ", shape_str(b.shape()), " != (", O, ",)");
  }
}

// Runs fwd(out, x, w, b, d) and, when needed, records a backward calling bwd_data(dx, dout, w, d) and
// bwd_weight(dw, db, dout, x, d). Kernels get raw pointers on x's device (null for absent bias or unneeded
// gradients) and the device first, to pick the cpu or cuda kernel.
template <typename Fwd, typename BwdData, typename BwdWeight>
Tensor conv_like_op(const char* name, const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, const ConvDims& d,
                    Fwd fwd, BwdData bwd_data, BwdWeight bwd_weight) {
  Tensor x = x_in.contiguous(), w = w_in.contiguous(), b = b_in.defined() ? b_in.contiguous() : Tensor();
  const Device dev = x.device();
  Tensor out = Tensor::empty({d.B, d.O, d.M}, x.dtype(), dev);  // (B, O, M)
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    fwd(dev, out.ptr<T>(), x.ptr<T>(), w.ptr<T>(), b.defined() ? b.ptr<T>() : static_cast<const T*>(nullptr), d);
  });
  if (needs_grad({&x, &w, &b})) {
    SavedTensor sx(x, name), sw(w, name);
    std::vector<Tensor> inputs{x, w};
    if (b.defined()) inputs.push_back(b);
    attach_grad_fn(out, name, inputs, [x, w, b, sx, sw, d, dev, bwd_data, bwd_weight](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dw = grad_buffer(w), db = grad_buffer(b);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        if (dx.defined()) bwd_data(dev, dx.ptr<T>(), dout.ptr<T>(), sw.get().template ptr<T>(), d);
        if (dw.defined() || db.defined())
          bwd_weight(dev, dw.defined() ? dw.ptr<T>() : static_cast<T*>(nullptr),
                     db.defined() ? db.ptr<T>() : static_cast<T*>(nullptr), dout.ptr<T>(),
                     sx.get().template ptr<T>(), d);
      });
    });
  }
  return out;
}

}  // namespace specnet::detail
