// Recursive-descent parser of XSPEC model expressions (`tbabs*(bremss+powerlaw)`, `tbabs*simpl(diskbb)`).
// Follows XSPEC's rules: `mult(expr)` multiplies, `conv(expr)` or `conv*rest` convolves, terms must be additive.
#include "model_expression.h"

#include <cctype>
#include <cstdlib>

#include "specnet/error.h"

namespace specnet::sim {

std::unique_ptr<CompositeModel::Node> CompositeModel::Node::clone() const {
  auto n = std::make_unique<Node>();
  n->type = type;
  n->component = component;
  n->additive = additive;
  for (const auto& c : children) n->children.push_back(c->clone());
  return n;
}

namespace detail {
namespace {

using Node = CompositeModel::Node;

class Parser {
 public:
  Parser(const std::string& text, std::vector<ParsedComponent>* components) : s_(text), comps_(components) {}

  std::unique_ptr<Node> parse() {
    skip_space();
    if (pos_ == s_.size()) fail("is empty");
    auto root = sum();
    skip_space();
    if (pos_ != s_.size()) fail(std::string("has unexpected '") + s_[pos_] + "'", pos_);
    if (!root->additive) fail("has no additive component (a multiplicative model needs something to act on)");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t at = std::string::npos) const {
    std::string where = at == std::string::npos ? "" : str(" at position ", at + 1);
    if (at != std::string::npos && at >= s_.size()) where = " at the end";
    throw Error(str("model expression '", s_, "' ", what, where));
  }
  void skip_space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  static std::unique_ptr<Node> make(Node::Type type, int component, bool additive) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->component = component;
    n->additive = additive;
    return n;
  }

  std::unique_ptr<Node> sum() {
    const std::size_t start = pos_;
    // Each '(' recurses once: bound the depth so that hostile input cannot overflow the stack.
    if (++depth_ > kMaxDepth) fail(str("nests parentheses deeper than ", kMaxDepth), start);
    struct Leave {
      int& d;
      ~Leave() { --d; }
    } leave{depth_};
    auto first = product();
    if (!accept('+')) return first;
    auto node = make(Node::Type::sum, -1, true);
    node->children.push_back(std::move(first));
    do {
      node->children.push_back(product());
    } while (accept('+'));
    for (const auto& c : node->children)
      if (!c->additive) fail("adds a multiplicative term; only additive terms can be summed", start);
    return node;
  }

  // A factor list folded from the right: a bare convolution applies to the product of what follows it.
  std::unique_ptr<Node> product() {
    std::vector<std::unique_ptr<Node>> factors;
    std::vector<std::size_t> where;
    do {
      skip_space();
      where.push_back(pos_);
      factors.push_back(factor());
    } while (accept('*'));
    std::unique_ptr<Node> acc = std::move(factors.back());
    if (is_bare_convolution(*acc)) fail("has a convolution with nothing to act on", where.back());
    for (int i = static_cast<int>(factors.size()) - 2; i >= 0; --i) {
      if (is_bare_convolution(*factors[i])) {
        acc = convolve(factors[i]->component, std::move(acc), where[i]);
        continue;
      }
      if (factors[i]->additive && acc->additive) fail("multiplies two additive terms", where[i]);
      auto node = make(Node::Type::product, -1, factors[i]->additive || acc->additive);
      node->children.push_back(std::move(factors[i]));
      node->children.push_back(std::move(acc));
      acc = std::move(node);
    }
    return acc;
  }

  bool is_bare_convolution(const Node& n) const {
    return n.type == Node::Type::component && (*comps_)[n.component].model->kind == ModelKind::convolution;
  }

  std::unique_ptr<Node> convolve(int component, std::unique_ptr<Node> arg, std::size_t at) {
    if (!arg->additive)
      fail(str("applies convolution '", (*comps_)[component].model->name, "' to a multiplicative term"), at);
    auto node = make(Node::Type::convolve, component, true);
    node->children.push_back(std::move(arg));
    return node;
  }

  std::unique_ptr<Node> factor() {
    skip_space();
    const std::size_t at = pos_;
    if (pos_ == s_.size()) fail("ends where a model name, number or '(' is expected", at);
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      auto inner = sum();
      if (!accept(')')) fail("is missing ')'", pos_);
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return number(at);
    if (c == ')' || c == '+' || c == '*')
      fail(std::string("expects a model name, number or '(' before '") + c + "'", at);
    if (!(std::isalpha(static_cast<unsigned char>(c)) || c == '_')) fail(std::string("has unexpected '") + c + "'", at);
    std::size_t end = pos_;
    while (end < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[end])) || s_[end] == '_')) ++end;
    const std::string name = s_.substr(pos_, end - pos_);
    pos_ = end;
    const ModelInfo* model = &find_model(name);  // Error lists the known models
    const int index = static_cast<int>(comps_->size());
    comps_->push_back({model, false, 0.0});
    auto comp = make(Node::Type::component, index, model->kind == ModelKind::additive);
    if (!accept('(')) return comp;
    // name(expr): XSPEC's implicit product or convolution argument
    if (model->kind == ModelKind::additive) fail(str("gives additive model '", name, "' an argument"), at);
    auto inner = sum();
    if (!accept(')')) fail("is missing ')'", pos_);
    if (model->kind == ModelKind::convolution) return convolve(index, std::move(inner), at);
    auto node = make(Node::Type::product, -1, inner->additive);
    node->children.push_back(std::move(comp));
    node->children.push_back(std::move(inner));
    return node;
  }

  std::unique_ptr<Node> number(std::size_t at) {
    const char* begin = s_.c_str() + pos_;
    char* end = nullptr;
    const double v = std::strtod(begin, &end);
    if (end == begin) fail("has a malformed number", at);
    pos_ += static_cast<std::size_t>(end - begin);
    const ModelInfo* model = &find_model("constant");
    const ParamSpec& factor = model->params.at(0);
    if (!(v >= factor.hard_min && v <= factor.hard_max))
      fail(str("has constant ", v, " outside [", factor.hard_min, ", ", factor.hard_max, "]"), at);
    const int index = static_cast<int>(comps_->size());
    comps_->push_back({model, true, v});
    return make(Node::Type::component, index, false);
  }

  static constexpr int kMaxDepth = 200;
  const std::string& s_;
  std::vector<ParsedComponent>* comps_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

std::unique_ptr<CompositeModel::Node> parse_model_expression(const std::string& expression,
                                                             std::vector<ParsedComponent>* components) {
  return Parser(expression, components).parse();
}

}  // namespace detail
}  // namespace specnet::sim
