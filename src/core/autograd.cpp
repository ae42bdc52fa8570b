// Reverse-mode autodiff: gradient mode, saved-tensor version checks, node attachment and backward().
#include "specnet/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "specnet/cpu/copy.h"
#include "specnet/cuda/copy.h"
#include "specnet/cuda/dispatch.h"

namespace specnet {

namespace {
thread_local bool g_grad_enabled = true;
}

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = prev_; }

SavedTensor::SavedTensor(const Tensor& t, const char* op) : t_(t), version_(t.impl().storage->version), op_(op) {}

const Tensor& SavedTensor::get() const {
  SPECNET_CHECK(t_.impl().storage->version == version_, "backward of ", op_,
                ": a tensor saved for the gradient was modified in place after the forward pass (version ",
                version_, " -> ", t_.impl().storage->version, ")");
  return t_;
}

bool needs_grad(std::initializer_list<const Tensor*> inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor* t : inputs)
    if (t && t->defined() && t->requires_grad()) return true;
  return false;
}

void attach_grad_fn(Tensor& out, const char* op, std::vector<Tensor> inputs,
                    std::function<void(const Tensor& dout)> backward) {
  auto node = std::make_shared<Node>();
  node->op = op;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  out.impl().requires_grad = true;
  out.impl().grad_fn = std::move(node);
}

Tensor grad_buffer(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return Tensor();
  auto& im = t.impl();
  if (!im.grad) im.grad = Tensor::zeros(im.shape, im.dtype, t.device()).impl_ptr();
  return Tensor(im.grad);
}

Tensor& Tensor::set_requires_grad(bool on) {
  SPECNET_CHECK(is_leaf() || on, "set_requires_grad(false) on a non-leaf tensor: use detach()");
  impl().requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return impl().grad ? Tensor(impl().grad) : Tensor(); }
void Tensor::zero_grad() { impl().grad.reset(); }
void Tensor::retain_grad() { impl().retains_grad = true; }

void Tensor::backward(bool retain_graph) const {
  SPECNET_CHECK(requires_grad(), "backward() on a tensor that does not require grad (no input of the graph ",
                "has requires_grad set, or it was computed under NoGradGuard)");
  SPECNET_CHECK(numel() == 1, "backward() without a seed needs a scalar, got shape ", shape_str(shape()),
                "; pass a seed gradient");
  backward(Tensor::ones(shape(), dtype(), device()), retain_graph);
}

void Tensor::backward(const Tensor& seed_in, bool retain_graph) const {
  SPECNET_CHECK(requires_grad(), "backward() on a tensor that does not require grad (no input of the graph ",
                "has requires_grad set, or it was computed under NoGradGuard)");
  check_same_shape("backward seed", *this, seed_in);
  check_same_device("backward seed", *this, seed_in);
  Tensor seed = seed_in.detach().to(dtype()).contiguous();

  // Topological order of the nodes reachable from this tensor (iterative DFS: graphs through time are deep).
  // `order` owns the tensors so that releasing a consumer's node cannot free one still to be processed;
  // each entry is dropped right after its own node runs, which frees intermediates progressively.
  std::vector<std::shared_ptr<TensorImpl>> order;
  std::unordered_set<TensorImpl*> visited;
  std::vector<std::pair<std::shared_ptr<TensorImpl>, std::size_t>> stack{{impl_, 0}};
  visited.insert(impl_.get());
  while (!stack.empty()) {
    auto& [im, next] = stack.back();
    Node* node = im->grad_fn.get();
    if (node && next < node->inputs.size()) {
      std::shared_ptr<TensorImpl> child = node->inputs[next++].impl_ptr();
      if (child->requires_grad && child->grad_fn && !visited.count(child.get())) {
        visited.insert(child.get());
        stack.push_back({std::move(child), 0});
      }
      continue;
    }
    order.push_back(std::move(im));
    stack.pop_back();
  }

  // Seed: accumulate like any other gradient (a leaf root keeps summing across calls).
  {
    Tensor g = grad_buffer(*this);
    SPECNET_DISPATCH_FLOAT(g.dtype(), T,
                           { SPECNET_KERNEL(g.device(), accumulate, g.ptr<T>(), seed.ptr<T>(), g.numel()); });
  }

  NoGradGuard no_grad;  // closures build no graph
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    std::shared_ptr<TensorImpl> im = std::move(*it);
    Node* node = im->grad_fn.get();
    if (!node) continue;
    SPECNET_CHECK(!node->released, "backward through the graph of '", node->op,
                  "' a second time: its saved buffers were freed after the first backward; pass retain_graph=true");
    if (!im->grad) continue;  // no gradient flows here
    Tensor dout(im->grad);
    node->backward(dout);
    if (!retain_graph) {
      node->backward = nullptr;
      node->inputs.clear();
      node->released = true;
    }
    if (!im->retains_grad) im->grad.reset();  // intermediate gradients are freed once used
  }
}

}  // namespace specnet
