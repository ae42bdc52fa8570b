// The autodiff tape: each differentiable result carries a Node with its inputs and a backward closure
// built in the same function as the forward (flashlight's pattern). backward() runs the nodes in
// reverse topological order; each closure accumulates into its inputs' gradient buffers (llm.c's
// `d* +=` convention), so a kernel's backward receives zero-initialised or partially summed buffers.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "specnet/tensor.h"

namespace specnet {

struct Node {
  std::string op;                         // op name for messages
  std::vector<Tensor> inputs;             // edges to the tensors this result was computed from
  std::function<void(const Tensor& dout)> backward;  // null once released
  bool released = false;
};

// Gradient mode: inside a NoGradGuard no graph is recorded (optimizer steps, evaluation).
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;
 private:
  bool prev_;
};

// A tensor saved for backward with the storage version it had; get() throws if it was changed in place.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t, const char* op);
  const Tensor& get() const;
 private:
  Tensor t_;
  std::uint64_t version_ = 0;
  const char* op_ = "";
};

// True when any input requires grad and grad mode is on: the op must record a node.
bool needs_grad(std::initializer_list<const Tensor*> inputs);

// Attach a node to `out`: out.requires_grad = true, out.grad_fn = node(op, inputs, backward).
void attach_grad_fn(Tensor& out, const char* op, std::vector<Tensor> inputs,
                    std::function<void(const Tensor& dout)> backward);

// The gradient buffer of `t` (same shape and dtype, contiguous, zero on first use): closures
// accumulate into it. Returns an undefined Tensor when t does not require grad.
Tensor grad_buffer(const Tensor& t);

}  // namespace specnet
