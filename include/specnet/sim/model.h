// Spectral model interface and registry: parameter tables, model kinds, registration by name.
// Matches XSPEC conventions: additive = photons cm^-2 s^-1 per bin, multiplicative = factor per bin.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace specnet::sim {

enum class ModelKind { additive, multiplicative, convolution };
const char* kind_name(ModelKind kind);

// One row of a model's parameter table, in XSPEC's model.dat order (value, hard/soft limits).
struct ParamSpec {
  std::string name;  // XSPEC name, e.g. "PhoIndex"
  std::string unit;  // "keV", "10^22" or "" for dimensionless
  double default_value;
  double hard_min, soft_min, soft_max, hard_max;
  bool frozen = false;  // frozen by default (XSPEC: negative delta)
};

// Standard rows shared by many tables: XSPEC's additive `norm` and a frozen `Redshift`.
ParamSpec norm_param();
ParamSpec redshift_param();

// A model evaluates on E+1 strictly increasing bin edges (keV) with its parameters in table order.
// additive: writes out[E] photons cm^-2 s^-1 per bin; multiplicative: writes the bin-averaged factor;
// convolution: transforms out[E] (bin fluxes) in place.
using ModelEvalFn = void (*)(const double* edges_kev, std::int64_t E, const double* params, double* out);

struct ModelInfo {
  std::string name;  // lower case, as typed in an expression
  ModelKind kind;
  std::vector<ParamSpec> params;  // the one parameter table
  ModelEvalFn eval;
  std::string description;
  // Index of a redshift parameter of an additive model, or -1. When set, `eval` is a rest-frame model
  // that receives the table without that parameter, and evaluate_model applies the redshift helper.
  int redshift_index = -1;
};

// Registers a model (throws on a duplicate name or a malformed table). Called by SPECNET_REGISTER_MODEL.
void register_model(ModelInfo info);
// Looks a model up by name, case-insensitive, or by a unique prefix as XSPEC does ("pow"); an unknown name
// is an Error listing the known models, an ambiguous prefix one listing the candidates.
const ModelInfo& find_model(const std::string& name);
bool has_model(const std::string& name);  // exact (case-insensitive) name only
std::vector<std::string> model_names();   // sorted

// Same table with a frozen Redshift row inserted before `norm` and redshift_index set: "zpowerlw" from
// "powerlaw". The rest-frame eval is reused unchanged.
ModelInfo with_redshift(ModelInfo base, const std::string& name, const std::string& description);

// Checks the parameters against the hard limits (Error naming model and parameter) and evaluates,
// applying the redshift helper when the model has a redshift parameter.
void evaluate_model(const ModelInfo& model, const double* edges_kev, std::int64_t E, const double* params, double* out);
// The same for a grid the caller has already validated (CompositeModel checks its grid once per evaluation
// instead of once per component); parameters are still checked.
void evaluate_model_on_valid_grid(const ModelInfo& model, const double* edges_kev, std::int64_t E,
                                  const double* params, double* out);

// Shared redshift helper for additive models: evaluates the rest-frame model on edges E(1+z) and
// divides the bin fluxes by (1+z) (time dilation), as XSPEC's z* models do.
void eval_redshifted(ModelEvalFn rest_frame, const double* edges_kev, std::int64_t E, double z,
                     const double* rest_params, double* out);

namespace detail {
int register_and_anchor(ModelInfo info);
}  // namespace detail

}  // namespace specnet::sim

// Static registration from the model's own file, at global scope: SPECNET_REGISTER_MODEL(powerlaw, make_info());
// It also defines the anchor specnet_sim_model_<id>; SPECNET_USE_MODEL(id) references it so that a
// program linking the static library keeps that model's object file (the linker drops unreferenced
// archive members, and with them their static registrations).
#define SPECNET_REGISTER_MODEL(id, ...) \
  int specnet_sim_model_##id = ::specnet::sim::detail::register_and_anchor(__VA_ARGS__)
#define SPECNET_USE_MODEL(id)        \
  extern int specnet_sim_model_##id; \
  __attribute__((used)) static const int* const specnet_sim_use_model_##id = &specnet_sim_model_##id
