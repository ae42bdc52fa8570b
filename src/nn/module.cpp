// nn::Module bookkeeping: registration, recursive naming, state_dict load/save, train/eval, dtype casts.
// Matches torch.nn.Module: preorder traversal, own parameters then buffers, children as "name." prefixes.
#include "specnet/nn/module.h"

#include <map>
#include <sstream>

#include "specnet/autograd.h"

namespace specnet::nn {

std::string LoadReport::describe() const {
  std::ostringstream os;
  auto list = [&](const char* what, const std::vector<std::string>& v) {
    if (v.empty()) return;
    os << "\n  " << what << ":";
    for (const auto& s : v) os << " \"" << s << "\"";
  };
  list("missing keys", missing);
  list("unexpected keys", unexpected);
  for (const auto& m : mismatched) os << "\n  mismatch: " << m;
  return os.str();
}

void Module::check_new_name(const std::string& name) const {
  SPECNET_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name(), ": invalid member name '",
                name, "' (must be non-empty and contain no '.')");
  auto taken = [&](const auto& v) {
    for (const auto& e : v)
      if (e.first == name) return true;
    return false;
  };
  SPECNET_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), type_name(), ": member '", name,
                "' is already registered");
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  check_new_name(name);
  SPECNET_CHECK(t.defined(), type_name(), ": parameter '", name, "' is undefined");
  t = t.detach();
  t.set_requires_grad(true);
  params_.emplace_back(name, t);
  return params_.back().second;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  check_new_name(name);
  SPECNET_CHECK(t.defined(), type_name(), ": buffer '", name, "' is undefined");
  buffers_.emplace_back(name, t.detach());
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, std::shared_ptr<Module> m) {
  check_new_name(name);
  SPECNET_CHECK(m != nullptr, type_name(), ": child module '", name, "' is null");
  children_.emplace_back(name, std::move(m));
}

void Module::register_rng(const std::string& name, Rng* rng) {
  SPECNET_CHECK(rng != nullptr, type_name(), ": rng '", name, "' is null");
  for (const auto& r : rngs_) SPECNET_CHECK(r.first != name, type_name(), ": rng '", name, "' already registered");
  rngs_.emplace_back(name, rng);
}

std::shared_ptr<Module> Module::child(const std::string& name) const {
  for (const auto& c : children_)
    if (c.first == name) return c.second;
  throw Error(str(type_name(), ": no child module named '", name, "'"));
}

// Preorder walk: f(prefix, module) for this module and every descendant.
template <typename F>
void Module::visit(const std::string& prefix, F&& f) const {
  f(prefix, *this);
  for (const auto& c : children_) c.second->visit(prefix + c.first + ".", f);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  visit("", [&](const std::string& p, const Module& m) {
    for (const auto& e : m.params_) out.emplace_back(p + e.first, e.second);
  });
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  visit("", [&](const std::string& p, const Module& m) {
    for (const auto& e : m.buffers_) out.emplace_back(p + e.first, e.second);
  });
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  visit("", [&](const std::string& p, const Module& m) {
    for (const auto& e : m.params_) out.emplace_back(p + e.first, e.second.detach());
    for (const auto& e : m.buffers_) out.emplace_back(p + e.first, e.second);
  });
  return out;
}

std::vector<std::pair<std::string, Rng*>> Module::named_rngs() const {
  std::vector<std::pair<std::string, Rng*>> out;
  visit("", [&](const std::string& p, const Module& m) {
    for (const auto& e : m.rngs_) out.emplace_back(p + e.first, e.second);
  });
  return out;
}

LoadReport Module::load_state_dict(const NamedTensors& state, bool strict) {
  std::map<std::string, const Tensor*> given;
  for (const auto& e : state) {
    SPECNET_CHECK(given.emplace(e.first, &e.second).second, "load_state_dict: key '", e.first,
                  "' appears twice in the state dict");
    SPECNET_CHECK(e.second.defined(), "load_state_dict: tensor '", e.first, "' is undefined");
  }
  LoadReport rep;
  bool shape_error = false;
  NamedTensors own = state_dict();
  std::map<std::string, bool> known;
  for (const auto& [name, dst] : own) {
    known[name] = true;
    auto it = given.find(name);
    if (it == given.end()) {
      rep.missing.push_back(name);
      continue;
    }
    const Tensor& src = *it->second;
    if (src.shape() != dst.shape()) {
      shape_error = true;
      rep.mismatched.push_back(str(name, ": shape ", shape_str(src.shape()), " in the state dict, ",
                                   shape_str(dst.shape()), " in the module"));
    } else if (src.dtype() != dst.dtype()) {
      rep.mismatched.push_back(str(name, ": dtype ", dtype_name(src.dtype()), " in the state dict, ",
                                   dtype_name(dst.dtype()), " in the module"));
    }
  }
  for (const auto& e : state)
    if (!known.count(e.first)) rep.unexpected.push_back(e.first);
  if (shape_error || (strict && !rep.ok()))
    throw Error(str("load_state_dict: error(s) loading the state dict into ", type_name(), ":", rep.describe()));
  // All checks passed: copy (converting dtypes only when strict=false allowed it).
  NoGradGuard no_grad;
  for (auto& [name, dst] : own) {
    auto it = given.find(name);
    if (it != given.end()) {
      Tensor d = dst;
      d.copy_(*it->second);
    }
  }
  return rep;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& c : children_) c.second->train(on);
}

void Module::zero_grad() {
  for (auto& e : named_parameters()) e.second.zero_grad();
}

namespace {
// Re-points t's impl at c's storage (a contiguous converted copy), so every handle that aliases t sees the new
// dtype or device.
void adopt(Tensor& t, const Tensor& c) {
  auto& im = t.impl();
  im.storage = c.impl().storage;
  im.shape = c.shape();
  im.strides = c.strides();
  im.offset = c.impl().offset;
  im.dtype = c.dtype();
  im.grad.reset();
}
}  // namespace

template <typename F>
void Module::for_each_tensor(F&& f) {
  visit("", [&](const std::string&, const Module& m) {
    auto& mm = const_cast<Module&>(m);
    for (auto& e : mm.params_) f(e.second);
    for (auto& e : mm.buffers_) f(e.second);
  });
}

void Module::to(DType dtype) {
  for_each_tensor([dtype](Tensor& t) {
    if (t.dtype() == dtype) return;
    NoGradGuard no_grad;
    adopt(t, t.detach().to(dtype).contiguous());
  });
}

void Module::to(Device device) {
  for_each_tensor([device](Tensor& t) {
    if (t.device() == device) return;
    NoGradGuard no_grad;
    adopt(t, t.detach().to(device).contiguous());
  });
}

Device Module::device() const {
  const auto params = named_parameters();
  return params.empty() ? Device::cpu : params.front().second.device();
}

std::int64_t Module::num_parameters() const {
  std::int64_t n = 0;
  for (const auto& e : named_parameters()) n += e.second.numel();
  return n;
}

}  // namespace specnet::nn
