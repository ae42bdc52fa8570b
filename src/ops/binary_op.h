// Shared plumbing for broadcasting binary ops (private to src/ops): checks, broadcast plan, forward
// kernel, and gradient targets that are reduced back to each operand's shape (torch's sum_to_size).
#pragma once
#include "specnet/autograd.h"
#include "specnet/cpu/broadcast.h"
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

// Runs fwd(T* out, const T* a, const T* b, plan) and, when a gradient is needed, records
// bwd(dout, a, b, plan) with the contiguous operands. With `uses_values` their contents are saved for
// backward (in-place changes detected); add/sub only need the operands' gradient buffers.
template <typename Fwd, typename Bwd>
Tensor binary_op(const char* name, const Tensor& a_in, const Tensor& b_in, bool uses_values, Fwd fwd, Bwd bwd) {
  check_cpu(name, a_in);
  check_cpu(name, b_in);
  check_same_dtype(name, a_in, b_in);
  const Shape out_shape = broadcast_for(name, a_in, b_in);
  Tensor a = a_in.contiguous(), b = b_in.contiguous();
  const cpu::BroadcastPlan plan = cpu::make_broadcast_plan(out_shape, a.shape(), b.shape());
  Tensor out = Tensor::empty(out_shape, a.dtype());
  SPECNET_DISPATCH_FLOAT(a.dtype(), T, { fwd(out.data<T>(), a.data<T>(), b.data<T>(), plan); });
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

}  // namespace specnet::detail
