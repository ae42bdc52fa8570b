// The simulation's expected counts per group at a point of the network's unscaled parameter space: what the exact
// posterior (oracle.h) compares with the data, and what the residual stage (residual.h) evaluates once per spectrum.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/evaluate.h"

namespace specnet::bhb {

// m_g(u) = sum over group g's channels of fakeit's expected counts (model on the simulation's energy grid folded
// through its response, times the exposure, plus the known background rate), u in the unscaled space (log10 of N_H,
// f_sc, kT_disk, N; Gamma linear) inside prior_box(s). The grid keeps its lower end (simplcut upscatters photons from
// below the band) and is cut above the last energy that reaches a group (upscattering only moves photons up, so that
// cut is exact).
class GroupModel {
 public:
  // Errors for a grouping built for another response or a model without the kNumParams free parameters.
  explicit GroupModel(const Simulation& s);
  // Per-thread state: a model copy and buffers, so that threads evaluate concurrently.
  struct Scratch {
    sim::CompositeModel model;
    std::vector<double> photons;     // (E_used) photons cm^-2 s^-1 per energy bin
    std::vector<double> mean;        // (H) expected channel counts
    std::vector<double> free;        // (free model parameters)
    std::vector<double> group_mean;  // (L) expected counts per group at the last successful evaluate
  };
  Scratch make_scratch() const;
  // Fills scratch.group_mean; false outside the prior box, where the model cannot be evaluated, or for a
  // non-finite mean.
  bool evaluate(const double* u, Scratch& scratch) const;
  const PriorBox& box() const { return box_; }
  const Simulation& simulation() const { return sim_; }
  std::int64_t num_groups() const { return sim_.grouping.size(); }

 private:
  const Simulation& sim_;
  PriorBox box_;
  std::vector<double> edges_kev_;                      // (E_used + 1)
  std::array<std::int64_t, kNumParams> free_slot_{};  // position of each kParamNames parameter among the free ones
};

}  // namespace specnet::bhb
