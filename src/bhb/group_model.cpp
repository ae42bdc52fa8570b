// Expected group counts of the BHB simulation (group_model.h).
#include "specnet/bhb/group_model.h"

#include <algorithm>
#include <cmath>

#include "specnet/error.h"

namespace specnet::bhb {

GroupModel::GroupModel(const Simulation& s) : sim_(s), box_(prior_box(s)) {
  const io::SparseResponse& m = s.fakeit.matrix;
  const std::int64_t H = static_cast<std::int64_t>(m.num_outputs());
  SPECNET_CHECK(s.grouping.num_channels == H, "bhb: the grouping was built for ", s.grouping.num_channels,
                " channels, the response has ", H);
  std::int64_t e_end = 0;  // one past the highest energy bin that reaches a group
  for (std::int64_t g = 0; g < s.grouping.size(); ++g)
    for (std::int64_t c = s.grouping.first[g]; c < s.grouping.end[g]; ++c)
      for (std::int64_t k = m.row_start[c]; k < m.row_start[c + 1]; ++k)
        e_end = std::max<std::int64_t>(e_end, m.energy_index[k] + 1);
  const std::vector<double> edges = s.fakeit.response.energy_edges_kev();
  edges_kev_.assign(edges.begin(), edges.begin() + e_end + 1);
  const std::vector<std::int64_t> free = s.model.free_indices();
  SPECNET_CHECK(free.size() == static_cast<std::size_t>(kNumParams), "bhb: the model has ", free.size(),
                " free parameters, expected the ", kNumParams, " of ", kModelExpression);
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    const auto it = std::find(free.begin(), free.end(), s.model.param_index(kModelParams[p]));
    SPECNET_CHECK(it != free.end(), "bhb: ", kModelParams[p], " is not free in the model");
    free_slot_[p] = it - free.begin();
  }
}

GroupModel::Scratch GroupModel::make_scratch() const {
  return Scratch{sim_.model, std::vector<double>(sim_.fakeit.matrix.num_energies(), 0.0),
                 std::vector<double>(sim_.fakeit.matrix.num_outputs()), std::vector<double>(kNumParams),
                 std::vector<double>(sim_.grouping.size())};
}

bool GroupModel::evaluate(const double* u, Scratch& sc) const {
  if (!box_to_free(box_, free_slot_, u, sc.free)) return false;
  try {
    sc.model.set_free_values(sc.free);
    // Energies above edges_kev_ stay 0: they reach no group and simplcut moves no photon down to the band.
    sc.model.evaluate(edges_kev_.data(), static_cast<std::int64_t>(edges_kev_.size()) - 1, sc.photons.data());
  } catch (const Error&) {  // outside the model's hard limits
    return false;
  }
  sim::expected_counts(sim_.fakeit, sc.photons.data(), sc.mean.data());
  const BinGrouping& g = sim_.grouping;
  for (std::int64_t k = 0; k < g.size(); ++k) {
    double mean = 0;
    for (std::int64_t c = g.first[k]; c < g.end[k]; ++c) mean += sc.mean[c];
    if (!std::isfinite(mean)) return false;
    sc.group_mean[k] = mean;
  }
  return true;
}

}  // namespace specnet::bhb
