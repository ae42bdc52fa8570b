// CompositeModel: flat XSPEC-style parameter list over a parsed model expression, with set/get by name,
// freezing, linking (XSPEC `newpar b = a`), limit checks and evaluation on an energy grid.
#include "specnet/sim/composite_model.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iomanip>

#include "model_expression.h"
#include "specnet/error.h"
#include "specnet/sim/energy_grid.h"

namespace specnet::sim {

namespace {
std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
bool is_integer(const std::string& s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}
}  // namespace

CompositeModel::CompositeModel(const std::string& expression) : expression_(expression) {
  std::vector<detail::ParsedComponent> parsed;
  root_ = detail::parse_model_expression(expression, &parsed);
  for (std::size_t k = 0; k < parsed.size(); ++k) {
    const ModelInfo* m = parsed[k].model;
    components_.push_back(m);
    from_number_.push_back(parsed[k].is_number);
    const int number = static_cast<int>(k) + 1;
    for (const ParamSpec& spec : m->params) {
      ModelParameter p;
      p.name = str(m->name, "_", number, ".", spec.name);
      p.component = number;
      p.spec = &spec;
      p.value = parsed[k].is_number ? parsed[k].number : spec.default_value;
      p.frozen = parsed[k].is_number || spec.frozen;
      params_.push_back(p);
    }
  }
}

CompositeModel::~CompositeModel() = default;
CompositeModel::CompositeModel(CompositeModel&&) noexcept = default;
CompositeModel& CompositeModel::operator=(CompositeModel&&) noexcept = default;
CompositeModel::CompositeModel(const CompositeModel& other)
    : expression_(other.expression_),
      root_(other.root_ ? other.root_->clone() : nullptr),
      components_(other.components_),
      from_number_(other.from_number_),
      params_(other.params_) {}
CompositeModel& CompositeModel::operator=(const CompositeModel& other) {
  if (this != &other) *this = CompositeModel(other);
  return *this;
}

std::vector<std::string> CompositeModel::component_names() const {
  std::vector<std::string> names;
  for (std::size_t k = 0; k < components_.size(); ++k) names.push_back(str(components_[k]->name, "_", k + 1));
  return names;
}

std::string CompositeModel::canonical_expression() const {
  using Type = Node::Type;
  if (!root_) return "";
  // Component k's first parameter: numbers print their value (constants have one parameter).
  std::vector<std::int64_t> first(components_.size(), -1);
  for (std::int64_t i = num_params() - 1; i >= 0; --i) first[params_[i].component - 1] = i;
  auto print = [&](const auto& self, const Node& n) -> std::string {
    switch (n.type) {
      case Type::component:
        return from_number_[n.component] ? str(std::setprecision(17), value_of(first[n.component]))
                                         : components_[n.component]->name;
      case Type::convolve:
        return components_[n.component]->name + "(" + self(self, *n.children[0]) + ")";
      case Type::sum: {
        std::string out;
        for (const auto& c : n.children) out += (out.empty() ? "" : "+") + self(self, *c);
        return out;
      }
      case Type::product: {
        std::string out;
        for (const auto& c : n.children) {
          const std::string term = self(self, *c);
          out += (out.empty() ? "" : "*") + (c->type == Type::sum ? "(" + term + ")" : term);
        }
        return out;
      }
    }
    return "";
  };
  return print(print, *root_);
}

std::vector<std::string> CompositeModel::param_names() const {
  std::vector<std::string> names;
  for (const auto& p : params_) names.push_back(p.name);
  return names;
}

std::int64_t CompositeModel::param_index(const std::string& name) const {
  const std::string key = lower(name);
  const auto n = num_params();
  if (is_integer(key)) {  // XSPEC's global parameter number, 1-based
    const long long number = std::stoll(key.size() > 12 ? std::string("0") : key);
    if (number >= 1 && number <= n) return number - 1;
  }
  const auto colon = key.find(':');
  std::vector<std::int64_t> bare;  // matches of a bare table name such as "nH"
  for (std::int64_t i = 0; i < n; ++i) {
    const ModelParameter& p = params_[i];
    if (lower(p.name) == key) return i;
    if (colon != std::string::npos && key.substr(0, colon) == std::to_string(p.component) &&
        key.substr(colon + 1) == lower(p.spec->name))
      return i;
    if (lower(p.spec->name) == key) bare.push_back(i);
  }
  if (bare.size() == 1) return bare[0];
  std::string known;
  for (const auto& p : params_) known += (known.empty() ? "" : ", ") + p.name;
  SPECNET_CHECK(bare.empty(), "parameter '", name, "' is ambiguous in model '", expression_, "'; use one of: ", known);
  throw Error(str("model '", expression_, "' has no parameter '", name, "'; parameters: ", known,
                  " (or <component>:<name>, or the number 1..", n, ")"));
}

double CompositeModel::value_of(std::int64_t index) const {
  for (std::int64_t steps = 0; params_[index].link >= 0 && steps <= num_params(); ++steps) index = params_[index].link;
  return params_[index].value;
}

void CompositeModel::check_value(std::int64_t index, double value) const {
  const ModelParameter& p = params_[index];
  SPECNET_CHECK(!std::isnan(value), "parameter ", p.name, " is NaN");
  SPECNET_CHECK(value >= p.spec->hard_min && value <= p.spec->hard_max, "parameter ", p.name, " = ", value,
                " is outside its hard limits [", p.spec->hard_min, ", ", p.spec->hard_max, "]");
}

double CompositeModel::get(const std::string& name) const { return value_of(param_index(name)); }

void CompositeModel::set(const std::string& name, double value) {
  const std::int64_t i = param_index(name);
  SPECNET_CHECK(params_[i].link < 0, "parameter ", params_[i].name, " is linked to ", params_[params_[i].link].name,
                "; unlink it before setting a value");
  check_value(i, value);
  params_[i].value = value;
}

void CompositeModel::freeze(const std::string& name, bool frozen) { params_[param_index(name)].frozen = frozen; }

void CompositeModel::link(const std::string& target, const std::string& source) {
  const std::int64_t t = param_index(target), s = param_index(source);
  SPECNET_CHECK(t != s, "cannot link parameter ", params_[t].name, " to itself");
  for (std::int64_t i = s, steps = 0; i >= 0 && steps <= num_params(); i = params_[i].link, ++steps)
    SPECNET_CHECK(i != t, "linking ", params_[t].name, " to ", params_[s].name, " would make a cycle");
  check_value(t, value_of(s));  // the source value must be valid for the target too
  params_[t].link = static_cast<int>(s);
}

void CompositeModel::unlink(const std::string& target) {
  const std::int64_t t = param_index(target);
  params_[t].value = value_of(t);  // keep the value it had, as XSPEC does
  params_[t].link = -1;
}

std::vector<std::int64_t> CompositeModel::free_indices() const {
  std::vector<std::int64_t> out;
  for (std::int64_t i = 0; i < num_params(); ++i)
    if (!params_[i].frozen && params_[i].link < 0) out.push_back(i);
  return out;
}

std::vector<double> CompositeModel::free_values() const {
  std::vector<double> out;
  for (std::int64_t i : free_indices()) out.push_back(params_[i].value);
  return out;
}

void CompositeModel::set_free_values(const std::vector<double>& values) {
  const auto free = free_indices();
  SPECNET_CHECK(values.size() == free.size(), "model '", expression_, "' has ", free.size(), " free parameters, got ",
                values.size(), " values");
  for (std::size_t k = 0; k < free.size(); ++k) check_value(free[k], values[k]);
  for (std::size_t k = 0; k < free.size(); ++k) params_[free[k]].value = values[k];
}

std::vector<double> CompositeModel::evaluate(const std::vector<double>& edges_kev) const {
  validate_energy_edges(edges_kev, "model '" + expression_ + "' energy grid");
  std::vector<double> out(edges_kev.size() - 1);  // (E)
  evaluate(edges_kev.data(), static_cast<std::int64_t>(out.size()), out.data());
  return out;
}

namespace {
// Recursive evaluation: additive nodes yield photon fluxes, multiplicative ones factors; out: (E).
struct Evaluator {
  const std::vector<const ModelInfo*>& components;
  const std::vector<std::vector<double>>& values;  // (components, params of each) effective values
  const double* edges;
  std::int64_t E;

  void run(const CompositeModel::Node& n, double* out) const {
    using Type = CompositeModel::Node::Type;
    switch (n.type) {
      case Type::component:
        evaluate_model_on_valid_grid(*components[n.component], edges, E, values[n.component].data(), out);
        return;
      case Type::convolve:
        run(*n.children[0], out);
        evaluate_model_on_valid_grid(*components[n.component], edges, E, values[n.component].data(), out);
        return;
      case Type::sum:
      case Type::product: {
        run(*n.children[0], out);
        std::vector<double> tmp(E);  // (E)
        for (std::size_t c = 1; c < n.children.size(); ++c) {
          run(*n.children[c], tmp.data());
          for (std::int64_t i = 0; i < E; ++i) out[i] = n.type == Type::sum ? out[i] + tmp[i] : out[i] * tmp[i];
        }
        return;
      }
    }
  }
};
}  // namespace

void CompositeModel::evaluate(const double* edges_kev, std::int64_t E, double* out) const {
  SPECNET_CHECK(root_ != nullptr, "CompositeModel: evaluating a moved-from model");
  validate_energy_edges(edges_kev, E + 1, "model '" + expression_ + "' energy grid");
  std::vector<std::vector<double>> values(components_.size());  // (components, params) after links
  for (std::int64_t i = 0; i < num_params(); ++i) {
    const double v = value_of(i);
    check_value(i, v);  // a linked value may violate the target's own limits
    values[params_[i].component - 1].push_back(v);
  }
  Evaluator{components_, values, edges_kev, E}.run(*root_, out);
}

}  // namespace specnet::sim
