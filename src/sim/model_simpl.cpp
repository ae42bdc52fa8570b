// simpl convolution (Steiner et al. 2009), up-scattering only: a fraction FracSctr of each bin's photons is
// redistributed above its midpoint as a power law of index Gamma. Matches XSPEC's simpl with UpScOnly > 0.
// XSPEC's UpScOnly switch is not a parameter here (only up-scattering is implemented).
#include <cmath>
#include <vector>

#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// params: Gamma, FracSctr. out: (E) bin fluxes, transformed in place.
// For source bin i (midpoint Ebar_i), bin i keeps 1 - (Ebar_i/E_{i+1})^g of the scattered photons and bin
// j > i gets (Ebar_i/E_j)^g - (Ebar_i/E_{j+1})^g, g = Gamma - 1; photons beyond the last edge are lost.
// Summed over sources, S_j = F_j (1 - (Ebar_j/E_{j+1})^g) + (E_j^-g - E_{j+1}^-g) sum_{i<j} F_i Ebar_i^g.
void simpl_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  double gamma = p[0];
  if (gamma == 1.0) gamma = 1.001;  // as XSPEC: the power-law kernel needs Gamma != 1
  const double g = gamma - 1.0, frac = p[1];
  double upscattered = 0;  // sum_{i<j} F_i Ebar_i^g
  for (std::int64_t j = 0; j < E; ++j) {
    const double lo = edges_kev[j], hi = edges_kev[j + 1], mid = 0.5 * (lo + hi), f = out[j];
    // E_j^-g - E_{j+1}^-g = -E_j^-g expm1(-g ln(E_{j+1}/E_j)), exact for narrow bins
    const double bin_weight = -std::pow(lo, -g) * std::expm1(-g * std::log(hi / lo));
    const double stays = -std::expm1(g * std::log(mid / hi));  // 1 - (Ebar/E_{j+1})^g
    const double scattered = f * stays + bin_weight * upscattered;
    upscattered += f * std::pow(mid, g);
    out[j] = (1.0 - frac) * f + frac * scattered;
  }
}

ModelInfo make_simpl() {
  return {"simpl",
          ModelKind::convolution,
          {{"Gamma", "", 2.3, 1.0, 1.1, 4.0, 5.0}, {"FracSctr", "", 0.05, 0.0, 0.0, 0.4, 1.0}},
          simpl_eval,
          "up-scattering power-law Comptonisation kernel (Steiner et al. 2009)"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(simpl, specnet::sim::make_simpl());
