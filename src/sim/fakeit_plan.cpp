// Flattens a fakeit simulation (tbabs x sum of apec / powerlaw, priors, response, background) into arrays for
// the CUDA fakeit; the arrays reproduce simulate_block's arithmetic (same tables, grids, stream layout).
#include "specnet/sim/fakeit_plan.h"

#include <cmath>
#include <string>

#include "specnet/error.h"
#include "specnet/sim/tbabs.h"

namespace specnet::sim {
namespace {

constexpr const char* kSupportedForms =
    "supported: [tbabs*](t1+t2+...) or [tbabs*]t1 with each t apec or powerlaw, e.g. tbabs*(apec+apec)";

std::vector<std::string> split_terms(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '+') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Index of the first parameter of 1-based component k.
std::int64_t first_param_of(const CompositeModel& model, int k) {
  for (std::int64_t i = 0; i < model.num_params(); ++i)
    if (model.params()[i].component == k) return i;
  throw Error(str("fakeit plan: component ", k, " has no parameters"));
}

// Follows links to the parameter that holds the value (CompositeModel rejects cycles).
std::int64_t link_root(const CompositeModel& model, std::int64_t i) {
  for (std::int64_t steps = 0; model.params()[i].link >= 0 && steps <= model.num_params(); ++steps)
    i = model.params()[i].link;
  return i;
}

void add_structure(const CompositeModel& model, FakeitPlan& plan) {
  const std::string canon = model.canonical_expression();
  std::string sum = canon;
  int component = 1;
  if (canon.rfind("tbabs*", 0) == 0) {
    plan.tbabs_nh = first_param_of(model, component++);
    sum = canon.substr(6);
    if (sum.size() >= 2 && sum.front() == '(' && sum.back() == ')') sum = sum.substr(1, sum.size() - 2);
    else if (sum.find('+') != std::string::npos)  // "tbabs*a+b": the absorption covers only the first term
      throw Error(str("fakeit plan: model '", canon, "' is not supported (tbabs must multiply the whole sum); ",
                      kSupportedForms));
  }
  for (const std::string& term : split_terms(sum)) {
    PlanTerm kind;
    if (term == "apec") kind = PlanTerm::apec;
    else if (term == "powerlaw") kind = PlanTerm::powerlaw;
    else throw Error(str("fakeit plan: model '", canon, "' is not supported (term '", term, "'); ", kSupportedForms));
    plan.term_kind.push_back(kind);
    plan.term_param.push_back(first_param_of(model, component++));
  }
  SPECNET_CHECK(static_cast<std::int64_t>(plan.term_kind.size()) <= kPlanMaxTerms, "fakeit plan: model '", canon,
                "' has ", plan.term_kind.size(), " additive terms, at most ", kPlanMaxTerms, " are supported");
}

void add_parameters(const CompositeModel& model, const std::vector<Prior>& priors, FakeitPlan& plan) {
  SPECNET_CHECK(plan.P <= kPlanMaxParams, "fakeit plan: model has ", plan.P, " parameters, at most ",
                kPlanMaxParams, " are supported");
  const std::vector<std::int64_t> idx = prior_param_indices(model, priors);
  for (std::int64_t p = 0; p < plan.P; ++p) {
    plan.param_value.push_back(model.get(model.params()[p].name));
    plan.param_source.push_back(link_root(model, p));
    plan.param_min.push_back(model.params()[p].spec->hard_min);
    plan.param_max.push_back(model.params()[p].spec->hard_max);
  }
  for (std::size_t k = 0; k < priors.size(); ++k) {
    plan.prior_param.push_back(idx[k]);
    plan.prior_lo.push_back(priors[k].lo);
    plan.prior_hi.push_back(priors[k].hi);
    plan.prior_log.push_back(priors[k].log ? 1 : 0);
    // simulate_block checks a linked value against the linked parameter's limits on every draw; the kernels
    // cannot throw, so the whole prior range must lie inside them.
    for (std::int64_t p = 0; p < plan.P; ++p) {
      if (plan.param_source[p] != idx[k] || p == idx[k]) continue;
      const ParamSpec& spec = *model.params()[p].spec;
      SPECNET_CHECK(priors[k].lo >= spec.hard_min && priors[k].hi <= spec.hard_max, "prior on '", priors[k].name,
                    "' [", priors[k].lo, ", ", priors[k].hi, "] leaves the hard limits [", spec.hard_min, ", ",
                    spec.hard_max, "] of the linked parameter '", model.params()[p].name, "'");
    }
  }
}

}  // namespace

FakeitPlan make_fakeit_plan(const FakeitSetup& setup, const CompositeModel& model, const std::vector<Prior>& priors) {
  FakeitPlan plan;
  plan.edges_kev = setup.response.energy_edges_kev();
  plan.E = static_cast<std::int64_t>(plan.edges_kev.size()) - 1;
  plan.H = static_cast<std::int64_t>(setup.matrix.num_outputs());
  plan.P = model.num_params();
  SPECNET_CHECK(plan.E >= 1 && static_cast<std::int64_t>(setup.matrix.num_energies()) == plan.E,
                "fakeit plan: the response matrix has ", setup.matrix.num_energies(), " energies, the grid ", plan.E);
  SPECNET_CHECK(plan.H >= 1, "fakeit plan: the response has no output channels");
  add_structure(model, plan);
  add_parameters(model, priors, plan);

  for (double e : plan.edges_kev) plan.log_edges.push_back(std::log(e));
  if (plan.tbabs_nh >= 0) {
    TbabsQuadrature q = tbabs_quadrature(plan.edges_kev.data(), plan.E);
    plan.tbabs_bin_begin = std::move(q.bin_begin);
    plan.tbabs_sigma22 = std::move(q.sigma22);
    plan.tbabs_weight = std::move(q.weight);
  }

  plan.row_start = setup.matrix.row_start;
  plan.energy_index = setup.matrix.energy_index;
  plan.value = setup.matrix.value;
  // The same products as fakeit's scale_and_add_background.
  plan.source_scale = setup.exposure_s * setup.areascal;
  plan.background_rate = setup.background_rate;
  plan.background_scale = setup.exposure_s * setup.backscal / setup.background_backscal;
  return plan;
}

}  // namespace specnet::sim
