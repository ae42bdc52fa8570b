// Registry of spectral models by name, parameter checks and the shared redshift helper.
// Names are case-insensitive and may be abbreviated like XSPEC; each model registers itself from its own file.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "specnet/error.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/model.h"

namespace specnet::sim {

namespace detail {
extern int builtin_models_linked;  // builtin_models.cpp
}  // namespace detail

namespace {
// A kept reference to builtin_models.cpp: linking the registry links the built-in models.
__attribute__((used)) const int* const kBuiltinModels = &detail::builtin_models_linked;

std::map<std::string, ModelInfo>& registry() {
  static std::map<std::string, ModelInfo> models;  // function-local: safe from static-init order
  return models;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string known_names() {
  std::string out;
  for (const auto& kv : registry()) out += (out.empty() ? "" : ", ") + kv.first;
  return out;
}
}  // namespace

const char* kind_name(ModelKind kind) {
  switch (kind) {
    case ModelKind::additive:
      return "additive";
    case ModelKind::multiplicative:
      return "multiplicative";
    case ModelKind::convolution:
      return "convolution";
  }
  return "?";
}

ParamSpec norm_param() { return {"norm", "", 1.0, 0.0, 0.0, 1e24, 1e24, false}; }
ParamSpec redshift_param() { return {"Redshift", "", 0.0, -0.999, -0.999, 10.0, 10.0, true}; }

void register_model(ModelInfo info) {
  info.name = lower(info.name);
  SPECNET_CHECK(!info.name.empty() && info.eval != nullptr,
                "register_model: a model needs a name and an eval function");
  SPECNET_CHECK(registry().count(info.name) == 0, "register_model: model '", info.name, "' is already registered");
  for (const ParamSpec& p : info.params)
    SPECNET_CHECK(p.hard_min <= p.soft_min && p.soft_min <= p.default_value && p.default_value <= p.soft_max &&
                      p.soft_max <= p.hard_max,
                  "register_model: ", info.name, ".", p.name,
                  " needs hard_min <= soft_min <= default <= soft_max <= hard_max");
  SPECNET_CHECK(info.kind != ModelKind::additive || (!info.params.empty() && info.params.back().name == "norm"),
                "register_model: additive model '", info.name, "' must end its table with norm");
  SPECNET_CHECK(info.redshift_index < 0 ||
                    (info.kind == ModelKind::additive && info.redshift_index < static_cast<int>(info.params.size())),
                "register_model: redshift index of '", info.name, "' must name a parameter of an additive model");
  const std::string key = info.name;
  registry().emplace(key, std::move(info));
}

int detail::register_and_anchor(ModelInfo info) {
  register_model(std::move(info));
  return static_cast<int>(registry().size());
}

bool has_model(const std::string& name) { return registry().count(lower(name)) > 0; }

const ModelInfo& find_model(const std::string& name) {
  const std::string key = lower(name);
  auto it = registry().find(key);
  if (it != registry().end()) return it->second;
  // As XSPEC, a unique prefix names a model ("pow" -> powerlaw).
  std::vector<const ModelInfo*> matches;
  for (const auto& kv : registry())
    if (!key.empty() && kv.first.compare(0, key.size(), key) == 0) matches.push_back(&kv.second);
  if (matches.size() == 1) return *matches[0];
  std::string candidates;
  for (const ModelInfo* m : matches) candidates += (candidates.empty() ? "" : ", ") + m->name;
  SPECNET_CHECK(matches.empty(), "model name '", name, "' is ambiguous: ", candidates);
  throw Error(str("unknown model '", name, "'; known models: ", known_names()));
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& kv : registry()) names.push_back(kv.first);
  return names;
}

ModelInfo with_redshift(ModelInfo base, const std::string& name, const std::string& description) {
  SPECNET_CHECK(base.kind == ModelKind::additive && base.redshift_index < 0, "with_redshift: '", base.name,
                "' must be an additive rest-frame model");
  base.name = name;
  base.description = description;
  base.redshift_index = static_cast<int>(base.params.size()) - 1;  // just before norm
  base.params.insert(base.params.begin() + base.redshift_index, redshift_param());
  return base;
}

void eval_redshifted(ModelEvalFn rest_frame, const double* edges_kev, std::int64_t E, double z,
                     const double* rest_params, double* out) {
  SPECNET_CHECK(std::isfinite(z) && z > -1.0, "redshift must be finite and > -1, got ", z);
  const double zf = 1.0 + z;
  std::vector<double> rest_edges(E + 1);  // (E+1) rest-frame edges E(1+z)
  for (std::int64_t i = 0; i <= E; ++i) rest_edges[i] = edges_kev[i] * zf;
  rest_frame(rest_edges.data(), E, rest_params, out);
  for (std::int64_t i = 0; i < E; ++i) out[i] /= zf;
}

void evaluate_model(const ModelInfo& model, const double* edges_kev, std::int64_t E, const double* params,
                    double* out) {
  validate_energy_edges(edges_kev, E + 1, model.name + " energy grid");
  evaluate_model_on_valid_grid(model, edges_kev, E, params, out);
}

void evaluate_model_on_valid_grid(const ModelInfo& model, const double* edges_kev, std::int64_t E,
                                  const double* params, double* out) {
  for (std::size_t k = 0; k < model.params.size(); ++k) {
    const ParamSpec& p = model.params[k];
    SPECNET_CHECK(!std::isnan(params[k]) && params[k] >= p.hard_min && params[k] <= p.hard_max, model.name, ".", p.name,
                  " = ", params[k], " is outside its hard limits [", p.hard_min, ", ", p.hard_max, "]");
  }
  if (model.redshift_index < 0) {
    model.eval(edges_kev, E, params, out);
    return;
  }
  std::vector<double> rest(params, params + model.params.size());  // table without the redshift row
  const double z = rest[model.redshift_index];
  rest.erase(rest.begin() + model.redshift_index);
  eval_redshifted(model.eval, edges_kev, E, z, rest.data(), out);
}

}  // namespace specnet::sim
