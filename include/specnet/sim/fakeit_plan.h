// A fakeit simulation flattened into plain arrays (model structure, parameter draws, tables, response CSR,
// background) for backends that evaluate it themselves, such as the CUDA fakeit; same results as simulate_block.
#pragma once
#include <cstdint>
#include <vector>

#include "specnet/sim/composite_model.h"
#include "specnet/sim/fakeit.h"

namespace specnet::sim {

// Additive terms a plan can hold; parameters in the component's table order.
enum class PlanTerm : int {
  apec = 0,      // kT, Abundanc, Redshift, norm
  powerlaw = 1,  // PhoIndex, norm
};

// photons(E) = T(nH) * (((term_0 + term_1) + term_2) + ...), with T = 1 when there is no tbabs: the order in
// which CompositeModel evaluates "tbabs*(a+b+...)", "a+b+..." and "tbabs*a".
struct FakeitPlan {
  std::int64_t E = 0, H = 0, P = 0;     // energy bins, output channels, model parameters

  // Model structure.
  std::int64_t tbabs_nh = -1;            // parameter index of tbabs nH, or -1: no absorption
  std::vector<PlanTerm> term_kind;       // (terms)
  std::vector<std::int64_t> term_param;  // (terms) index of each term's first parameter

  // Parameters of spectrum i (stream layout of fakeit.h: priors from Philox stream (seed, 2i + 1) in order,
  // counts from (seed, 2i)): value[p] = param_value[p], then value[prior_param[k]] = prior k's draw, then every
  // parameter takes the value of param_source[p] (links resolved to their root; a root is its own source).
  std::vector<double> param_value;          // (P) effective values of the model as given
  std::vector<double> param_min, param_max; // (P) hard limits
  std::vector<std::int64_t> param_source;   // (P)
  std::vector<std::int64_t> prior_param;    // (priors)
  std::vector<double> prior_lo, prior_hi;   // (priors)
  std::vector<std::uint8_t> prior_log;      // (priors) 1: log-uniform

  // Grid and tbabs quadrature (see TbabsQuadrature).
  std::vector<double> edges_kev;            // (E+1)
  std::vector<double> log_edges;            // (E+1) std::log(edges_kev), as powerlaw computes it
  std::vector<std::int64_t> tbabs_bin_begin;  // (E+1), empty without tbabs
  std::vector<double> tbabs_sigma22, tbabs_weight;  // (nodes)

  // Response (channel-major CSR of FakeitSetup::matrix) and the expected-count scaling of fakeit.
  std::vector<std::int64_t> row_start;      // (H+1)
  std::vector<std::int32_t> energy_index;   // (nnz)
  std::vector<double> value;                // (nnz) cm^2
  double source_scale = 1;                  // exposure * AREASCAL
  double background_scale = 0;              // exposure * BACKSCAL / background BACKSCAL
  std::vector<double> background_rate;      // (H) counts/s, or empty
};

// Largest model a plan accepts (parameters are held in registers by the CUDA kernels).
constexpr std::int64_t kPlanMaxParams = 32;
constexpr std::int64_t kPlanMaxTerms = 8;

// Flattens a simulation. The model must read (canonically) "[tbabs*](t1+t2+...)" or "[tbabs*]t1" with each
// t apec or powerlaw; Error naming the supported forms otherwise, for bad priors (as simulate_block), for a
// prior whose range leaves the hard limits of a parameter linked to it, and for more than kPlanMaxParams
// parameters or kPlanMaxTerms terms.
FakeitPlan make_fakeit_plan(const FakeitSetup& setup, const CompositeModel& model, const std::vector<Prior>& priors);

}  // namespace specnet::sim
