// optim::Optimizer: parameter groups with their own lr / weight_decay / frozen flag, per-parameter state
// slots, step()/zero_grad(), and state export as named tensors (torch.optim.Optimizer's structure).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "specnet/nn/module.h"

namespace specnet::optim {

using nn::NamedTensors;

// Elements per parallel_for chunk in the element-wise update loops.
constexpr std::int64_t kOptimGrain = 1 << 15;

// What the caller passes: unset lr / weight_decay take the optimizer's defaults (as torch's param_groups).
// A frozen group is skipped entirely by step() and by schedulers; lr = 0 also leaves parameters unchanged.
struct ParamGroup {
  NamedTensors params;               // names as in module.named_parameters(); unique across groups
  std::optional<double> lr, weight_decay;
  bool frozen = false;
  std::string name;                  // for messages, e.g. "decoder"
};

// All parameters in one group with the optimizer's defaults.
inline std::vector<ParamGroup> single_group(const NamedTensors& params) {
  ParamGroup g;
  g.params = params;
  return {g};
}

// A resolved group as the optimizer holds it.
struct Group {
  NamedTensors params;
  double lr = 0, weight_decay = 0;
  bool frozen = false;
  std::string name;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // Updates every parameter of every non-frozen group that has a gradient (parameters without .grad are
  // skipped, as torch). Runs without recording a graph.
  void step();
  void zero_grad();  // drops every parameter's .grad (set_to_none)

  std::size_t num_groups() const { return groups_.size(); }
  Group& group(std::size_t i);
  const Group& group(std::size_t i) const;
  virtual std::string type_name() const = 0;

  // "param_groups.<g>.lr", "param_groups.<g>.weight_decay" (float64 scalars), "state.<param>.step" (float64
  // scalar) and "state.<param>.<slot>" (param's shape and dtype) for parameters that have state.
  NamedTensors state_dict() const;
  // Replaces the state; names, shapes and dtypes must match this optimizer's parameters (Error otherwise).
  void load_state_dict(const NamedTensors& state);

 protected:
  Optimizer(std::vector<ParamGroup> groups, double default_lr, double default_weight_decay);
  static void check_hyper(bool ok, const std::string& what);

  // Per-parameter state: the step count and named slots (undefined until first needed).
  struct ParamState {
    std::int64_t step = 0;
    std::vector<Tensor> slots;
  };
  // The state slots this configuration uses (e.g. max_exp_avg_sq only with amsgrad); all are saved and required.
  virtual std::vector<std::string> slot_names() const = 0;
  // One update of `param` (contiguous) from `grad` (contiguous, same shape/dtype); slots are sized, and
  // defined slots have the parameter's shape and dtype.
  virtual void update(const Group& g, ParamState& st, Tensor& param, const Tensor& grad) = 0;

 private:
  ParamState& state_of(std::size_t g, std::size_t p);
  std::vector<Group> groups_;
  std::vector<std::vector<ParamState>> state_;  // [group][param]
};

}  // namespace specnet::optim
