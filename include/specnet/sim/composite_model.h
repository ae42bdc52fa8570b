// A spectral model built from an XSPEC model expression: `tbabs*(apec+powerlaw)`, `tbabs*simpl(diskbb)`,
// `constant*tbabs*(bremss+gaussian)`. Parameters form one flat list named like XSPEC components.
//
// Syntax (as XSPEC): components are registered model names; `+` adds additive terms, `*` multiplies,
// parentheses group, `mult(expr)` is `mult*(expr)`, `conv(expr)` applies a convolution to expr and `conv*a*b`
// applies it to the rest of the product (a*b). A bare number is a frozen `constant` component.
// Names: component k (1-based, order of appearance, as XSPEC numbers them) is "<model>_<k>", parameters are
// "<model>_<k>.<param>" (e.g. "tbabs_1.nH", "bremss_2.kT"); "<k>:<param>" ("2:kT") and the 1-based global
// parameter number ("3") are accepted aliases when looking a parameter up.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "specnet/sim/model.h"

namespace specnet::sim {

struct ModelParameter {
  std::string name;       // "bremss_2.kT"
  int component = 0;      // 1-based component index
  const ParamSpec* spec;  // row of the component's parameter table (name, unit, limits)
  double value = 0;
  bool frozen = false;
  int link = -1;  // index of the parameter this one equals (par_b = par_a), or -1
};

class CompositeModel {
 public:
  // Parses an expression; Error for unknown models (listing the known ones) and malformed syntax.
  explicit CompositeModel(const std::string& expression);
  ~CompositeModel();
  CompositeModel(const CompositeModel& other);
  CompositeModel& operator=(const CompositeModel& other);
  CompositeModel(CompositeModel&&) noexcept;
  CompositeModel& operator=(CompositeModel&&) noexcept;

  const std::string& expression() const { return expression_; }
  // The expression re-printed in normal form ("tbabs*simpl*diskbb" -> "tbabs*simpl(diskbb)", numbers with
  // their current value); parsing it gives the same components, numbering and parameter names.
  std::string canonical_expression() const;
  std::vector<std::string> component_names() const;  // "tbabs_1", "bremss_2", ...
  std::int64_t num_params() const { return static_cast<std::int64_t>(params_.size()); }
  const std::vector<ModelParameter>& params() const { return params_; }
  std::vector<std::string> param_names() const;

  // Index of a parameter by name or alias; Error listing the valid names when unknown.
  std::int64_t param_index(const std::string& name) const;
  double get(const std::string& name) const;  // the effective value (a linked parameter's source value)
  // Sets a value; Error naming the parameter for NaN / values outside its hard limits or linked parameters.
  void set(const std::string& name, double value);
  void freeze(const std::string& name, bool frozen = true);
  void thaw(const std::string& name) { freeze(name, false); }
  // Links `target` to `source` (target = source from now on, as XSPEC's `newpar target = source`); Error for
  // self-links and cycles.
  void link(const std::string& target, const std::string& source);
  void unlink(const std::string& target);

  // Free parameters (neither frozen nor linked), in order: what a fit varies.
  std::vector<std::int64_t> free_indices() const;
  std::vector<double> free_values() const;
  void set_free_values(const std::vector<double>& values);  // same checks as set()

  // Photons cm^-2 s^-1 per bin on E+1 edges (keV); Error for invalid grids or parameters.
  std::vector<double> evaluate(const std::vector<double>& edges_kev) const;
  void evaluate(const double* edges_kev, std::int64_t E, double* out) const;  // out: (E)

  struct Node;  // expression tree (defined in composite_model.cpp)

 private:
  double value_of(std::int64_t index) const;
  void check_value(std::int64_t index, double value) const;

  std::string expression_;
  std::unique_ptr<Node> root_;
  std::vector<const ModelInfo*> components_;  // (components) registry entries
  std::vector<bool> from_number_;             // (components) written as a bare number
  std::vector<ModelParameter> params_;
};

}  // namespace specnet::sim
