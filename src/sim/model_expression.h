// Parser of XSPEC model expressions into a CompositeModel expression tree (internal to src/sim).
// Grammar: sum := product ('+' product)*; product := factor ('*' factor)*;
// factor := NUMBER | NAME ['(' sum ')'] | '(' sum ')'.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "specnet/sim/composite_model.h"

namespace specnet::sim {

struct CompositeModel::Node {
  enum class Type { component, sum, product, convolve };
  Type type = Type::component;
  int component = -1;  // component (Type::component) or convolution component (Type::convolve), 0-based
  std::vector<std::unique_ptr<Node>> children;
  bool additive = false;  // result is a photon flux (true) or a dimensionless factor (false)

  std::unique_ptr<Node> clone() const;
};

namespace detail {

// A component as it appears in the expression: its registry entry and, for bare numbers, the value.
struct ParsedComponent {
  const ModelInfo* model;
  bool is_number = false;
  double number = 0;
};

// Parses `expression`; appends components in order of appearance. Error on bad syntax or kinds.
std::unique_ptr<CompositeModel::Node> parse_model_expression(const std::string& expression,
                                                             std::vector<ParsedComponent>* components);

}  // namespace detail
}  // namespace specnet::sim
