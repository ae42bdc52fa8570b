// nn::Module: the base of every layer, holding ordered named parameters, buffers, child modules and RNGs.
// Names, order and state_dict semantics follow torch.nn.Module (dotted keys such as "encoder.0.weight").
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "specnet/rng.h"
#include "specnet/tensor.h"

namespace specnet::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

// What load_state_dict found; with strict=false the caller inspects it (shape mismatches always throw).
struct LoadReport {
  std::vector<std::string> missing;      // expected by the module, absent from the state dict
  std::vector<std::string> unexpected;   // present in the state dict, unknown to the module
  std::vector<std::string> mismatched;   // "name: expected float32 (3, 4), got float64 (4, 3)"
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string describe() const;          // one line per problem, as torch's error lists them
};

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x) = 0;
  Tensor operator()(const Tensor& x) { return forward(x); }
  virtual std::string type_name() const = 0;  // "Linear", for messages

  // Registration keeps insertion order (state_dict order). A parameter gets requires_grad; buffers do not.
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }
  // An RNG owned by this module (e.g. dropout's): checkpoints save and restore its position.
  void register_rng(const std::string& name, Rng* rng);

  // Recursive, in torch order: this module's own entries first, then each child's, prefixed "child.".
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  NamedTensors state_dict() const;  // per module: parameters then buffers (detached handles, aliasing)
  std::vector<std::pair<std::string, Rng*>> named_rngs() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const { return children_; }
  std::shared_ptr<Module> child(const std::string& name) const;

  // Copies values into the existing tensors (handles held elsewhere, e.g. by optimizers, stay valid).
  // strict: any missing / unexpected / dtype-mismatched entry throws with the full report. Shape
  // mismatches always throw (as torch); with strict=false a dtype difference is converted.
  LoadReport load_state_dict(const NamedTensors& state, bool strict = true);

  void train(bool on = true);  // recursive
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();            // drops every parameter's .grad (torch set_to_none=True)
  void to(DType dtype);        // converts parameters and buffers in place (same handles)
  void to(Device device);      // moves parameters and buffers to the device in place (same handles, .grad dropped)
  Device device() const;       // where the parameters live (cpu for a module without any)
  std::int64_t num_parameters() const;

 private:
  void add_child(const std::string& name, std::shared_ptr<Module> m);
  void check_new_name(const std::string& name) const;
  template <typename F> void visit(const std::string& prefix, F&& f) const;
  template <typename F> void for_each_tensor(F&& f);  // every parameter and buffer handle, in place

  NamedTensors params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  std::vector<std::pair<std::string, Rng*>> rngs_;
  bool training_ = true;
};

}  // namespace specnet::nn
