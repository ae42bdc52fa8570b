// optim::Optimizer: group resolution and validation, the step loop, and named-tensor state export/import
// (torch.optim.Optimizer semantics: parameters without grad are skipped, one parameter per group at most).
#include "specnet/optim/optimizer.h"

#include <cmath>
#include <map>
#include <set>

#include "specnet/autograd.h"

namespace specnet::optim {

void Optimizer::check_hyper(bool ok, const std::string& what) { SPECNET_CHECK(ok, what); }

Optimizer::Optimizer(std::vector<ParamGroup> groups, double default_lr, double default_wd) {
  SPECNET_CHECK(!groups.empty(), "optimizer: no parameter groups given");
  std::set<std::string> names;
  std::set<const TensorImpl*> seen;
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    auto& pg = groups[gi];
    Group g;
    g.lr = pg.lr.value_or(default_lr);
    g.weight_decay = pg.weight_decay.value_or(default_wd);
    g.frozen = pg.frozen;
    g.name = pg.name.empty() ? str("group ", gi) : pg.name;
    SPECNET_CHECK(std::isfinite(g.lr) && g.lr >= 0, "optimizer: invalid learning rate ", g.lr, " in ", g.name);
    SPECNET_CHECK(std::isfinite(g.weight_decay) && g.weight_decay >= 0, "optimizer: invalid weight_decay ",
                  g.weight_decay, " in ", g.name);
    for (auto& [name, t] : pg.params) {
      SPECNET_CHECK(t.defined(), "optimizer: parameter '", name, "' is undefined");
      SPECNET_CHECK(t.is_leaf(), "optimizer: can't optimize the non-leaf tensor '", name, "'");
      SPECNET_CHECK(t.is_contiguous(), "optimizer: parameter '", name, "' is not contiguous");
      SPECNET_CHECK(names.insert(name).second, "optimizer: parameter name '", name, "' appears twice");
      SPECNET_CHECK(seen.insert(t.impl_ptr().get()).second, "optimizer: parameter '", name,
                    "' appears in more than one group (or twice in one)");
    }
    g.params = std::move(pg.params);
    state_.emplace_back(g.params.size());
    groups_.push_back(std::move(g));
  }
}

Group& Optimizer::group(std::size_t i) {
  SPECNET_CHECK(i < groups_.size(), "optimizer: group ", i, " out of range (", groups_.size(), " groups)");
  return groups_[i];
}
const Group& Optimizer::group(std::size_t i) const { return const_cast<Optimizer*>(this)->group(i); }

Optimizer::ParamState& Optimizer::state_of(std::size_t g, std::size_t p) {
  ParamState& st = state_[g][p];
  if (st.slots.empty()) st.slots.resize(slot_names().size());
  return st;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    const Group& g = groups_[gi];
    if (g.frozen) continue;
    for (std::size_t pi = 0; pi < g.params.size(); ++pi) {
      Tensor p = g.params[pi].second;
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      SPECNET_CHECK(grad.shape() == p.shape() && grad.dtype() == p.dtype(), type_name(), ": gradient of '",
                    g.params[pi].first, "' is ", grad.describe(), ", parameter is ", p.describe());
      ParamState& st = state_of(gi, pi);
      for (const Tensor& slot : st.slots)
        SPECNET_CHECK(!slot.defined() || (slot.dtype() == p.dtype() && slot.shape() == p.shape()), type_name(),
                      ": state of '", g.params[pi].first, "' is ", slot.describe(), " but the parameter is now ",
                      p.describe(), " (convert the module before creating the optimizer)");
      update(g, st, p, grad.contiguous());
      p.impl().storage->version++;  // an in-place change, visible to saved-tensor checks
    }
  }
}

void Optimizer::zero_grad() {
  for (auto& g : groups_)
    for (auto& e : g.params) e.second.zero_grad();
}

NamedTensors Optimizer::state_dict() const {
  NamedTensors out;
  const auto slots = slot_names();
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    out.emplace_back(str("param_groups.", gi, ".lr"), Tensor::scalar(groups_[gi].lr, DType::f64));
    out.emplace_back(str("param_groups.", gi, ".weight_decay"), Tensor::scalar(groups_[gi].weight_decay, DType::f64));
  }
  for (std::size_t gi = 0; gi < groups_.size(); ++gi)
    for (std::size_t pi = 0; pi < groups_[gi].params.size(); ++pi) {
      const ParamState& st = state_[gi][pi];
      if (st.step == 0 && st.slots.empty()) continue;
      const std::string& pname = groups_[gi].params[pi].first;
      out.emplace_back(str("state.", pname, ".step"), Tensor::scalar(static_cast<double>(st.step), DType::f64));
      for (std::size_t s = 0; s < st.slots.size(); ++s)
        if (st.slots[s].defined()) out.emplace_back(str("state.", pname, ".", slots[s]), st.slots[s].clone());
    }
  return out;
}

void Optimizer::load_state_dict(const NamedTensors& state) {
  std::map<std::string, Tensor> given;
  for (const auto& e : state)
    SPECNET_CHECK(given.emplace(e.first, e.second).second, type_name(), ".load_state_dict: key '", e.first,
                  "' appears twice");
  auto scalar = [&](const std::string& key) {
    auto it = given.find(key);
    SPECNET_CHECK(it != given.end(), type_name(), ".load_state_dict: missing '", key, "'");
    SPECNET_CHECK(it->second.numel() == 1, type_name(), ".load_state_dict: '", key, "' must be a scalar, got ",
                  shape_str(it->second.shape()));
    double v = it->second.item();
    SPECNET_CHECK(std::isfinite(v) && v >= 0, type_name(), ".load_state_dict: '", key, "' = ", v, " is invalid");
    given.erase(it);
    return v;
  };
  // Build the new state fully before touching ours, so a bad file leaves the optimizer unchanged.
  std::vector<std::pair<double, double>> hyper;
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    double lr = scalar(str("param_groups.", gi, ".lr"));
    hyper.emplace_back(lr, scalar(str("param_groups.", gi, ".weight_decay")));
  }
  const auto slots = slot_names();
  auto new_state = state_;
  for (std::size_t gi = 0; gi < groups_.size(); ++gi)
    for (std::size_t pi = 0; pi < groups_[gi].params.size(); ++pi) {
      const auto& [pname, p] = groups_[gi].params[pi];
      ParamState st;
      const std::string step_key = str("state.", pname, ".step");
      if (given.count(step_key)) {
        double s = scalar(step_key);
        SPECNET_CHECK(s == std::floor(s), type_name(), ".load_state_dict: step ", s, " of '", pname,
                      "' is not an integer");
        st.step = static_cast<std::int64_t>(s);
        st.slots.resize(slots.size());
        for (std::size_t s2 = 0; s2 < slots.size(); ++s2) {
          auto it = given.find(str("state.", pname, ".", slots[s2]));
          SPECNET_CHECK(it != given.end(), type_name(), ".load_state_dict: '", pname, "' has a step count but no '",
                        slots[s2], "' (state saved with other options?)");
          const Tensor& t = it->second;
          SPECNET_CHECK(t.shape() == p.shape() && t.dtype() == p.dtype(), type_name(), ".load_state_dict: '",
                        it->first, "' is ", t.describe(), " but parameter '", pname, "' is ", p.describe());
          st.slots[s2] = t.detach().to(p.device()).clone();  // state lives with its parameter
          given.erase(it);
        }
      }
      new_state[gi][pi] = std::move(st);
    }
  if (!given.empty()) {
    std::string names;
    for (const auto& e : given) names += " '" + e.first + "'";
    throw Error(str(type_name(), ".load_state_dict: unexpected entries (unknown parameters or slots):", names));
  }
  state_ = std::move(new_state);
  for (std::size_t gi = 0; gi < groups_.size(); ++gi) {
    groups_[gi].lr = hyper[gi].first;
    groups_[gi].weight_decay = hyper[gi].second;
  }
}

}  // namespace specnet::optim
