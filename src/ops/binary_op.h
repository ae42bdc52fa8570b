// Shared plumbing for broadcasting binary ops (private to src/ops): checks, broadcast plan, forward
// kernel, and gradient targets that are reduced back to each operand's shape (torch's sum_to_size).
#pragma once
#include "specnet/autograd.h"
#include "specnet/cpu/broadcast.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/tensor.h"

namespace specnet::detail {

// broadcast_shape(a, b) with the op's name in the error message.
Shape broadcast_for(const char* op, const Tensor& a, const Tensor& b);

// Adds sign * g (contiguous, out-shaped) into x's gradient, summing over x's broadcast dims first.
void accumulate_reduced(const Tensor& x, const Tensor& g, double sign);

// Out-shaped buffer a backward kernel may accumulate x's gradient into: x's own gradient buffer when x
// already has the out shape, else a zero temporary; undefined when x needs no gradient. After the kernel,
// finish_grad_target folds a temporary back into x's gradient.
Tensor grad_target(const Tensor& x, const Shape& out_shape);
void finish_grad_target(const Tensor& x, const Tensor& target);

// Runs fwd(device, T* out, const T* a, const T* b, plan) and, when a gradient is needed, records
// bwd(dout, a, b, plan) with the contiguous operands (both on one device, else an error naming both). With
// `uses_values` their contents are saved for backward (in-place changes detected); add/sub only need the
// operands' gradient buffers.
template <typename Fwd, typename Bwd>
Tensor binary_op(const char* name, const Tensor& a_in, const Tensor& b_in, bool uses_values, Fwd fwd, Bwd bwd) {
  check_same_device(name, a_in, b_in);
  check_same_dtype(name, a_in, b_in);
  const Shape out_shape = broadcast_for(name, a_in, b_in);
  Tensor a = a_in.contiguous(), b = b_in.contiguous();
  const cpu::BroadcastPlan plan = cpu::make_broadcast_plan(out_shape, a.shape(), b.shape());
  const Device dev = a.device();
  Tensor out = Tensor::empty(out_shape, a.dtype(), dev);
  SPECNET_DISPATCH_FLOAT(a.dtype(), T, { fwd(dev, out.ptr<T>(), a.ptr<T>(), b.ptr<T>(), plan); });
  if (needs_grad({&a, &b})) {
    if (uses_values) {
      SavedTensor sa(a, name), sb(b, name);
      attach_grad_fn(out, name, {a, b},
                     [sa, sb, plan, bwd](const Tensor& dout) { bwd(dout, sa.get(), sb.get(), plan); });
    } else {
      attach_grad_fn(out, name, {a, b}, [a, b, plan, bwd](const Tensor& dout) { bwd(dout, a, b, plan); });
    }
  }
  return out;
}

// A binary op whose gradients need the operand values: bwd(device, T* da, T* db, dout, a, b, plan) accumulates
// out-shaped gradients (null when not needed), which are then summed back to each operand's shape.
template <typename Fwd, typename Bwd>
Tensor valued_binary_op(const char* name, const Tensor& a, const Tensor& b, Fwd fwd, Bwd bwd) {
  return binary_op(name, a, b, true, fwd,
                   [bwd](const Tensor& dout, const Tensor& x, const Tensor& y, const cpu::BroadcastPlan& p) {
                     Tensor dx = grad_target(x, dout.shape()), dy = grad_target(y, dout.shape());
                     SPECNET_DISPATCH_FLOAT(dout.dtype(), T, {
                       bwd(dout.device(), dx.defined() ? dx.ptr<T>() : nullptr, dy.defined() ? dy.ptr<T>() : nullptr,
                           dout.ptr<T>(), x.ptr<T>(), y.ptr<T>(), p);
                     });
                     finish_grad_target(x, dx);
                     finish_grad_target(y, dy);
                   });
}

}  // namespace specnet::detail
