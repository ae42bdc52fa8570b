// powerlaw (and zpowerlw): K E^-Gamma photons/keV/cm^2/s at 1 keV, integrated analytically per bin.
// Matches XSPEC's powerlaw / zpowerlw, including the log form at Gamma = 1.
#include <cmath>

#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// params: PhoIndex, norm. out: (E) photons cm^-2 s^-1 per bin.
void powerlaw_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  const double gamma = p[0], norm = p[1], a = 1.0 - gamma;
  if (std::fabs(a) < 1e-10) {  // Gamma = 1: K ln(E2/E1)
    for (std::int64_t i = 0; i < E; ++i) out[i] = norm * std::log(edges_kev[i + 1] / edges_kev[i]);
    return;
  }
  // K (E2^a - E1^a) / a, with expm1 so that narrow bins keep their precision.
  for (std::int64_t i = 0; i < E; ++i) {
    const double l1 = std::log(edges_kev[i]), l2 = std::log(edges_kev[i + 1]);
    out[i] = norm * std::exp(a * l1) * std::expm1(a * (l2 - l1)) / a;
  }
}

ModelInfo make_powerlaw() {
  return {"powerlaw",
          ModelKind::additive,
          {{"PhoIndex", "", 1.0, -3.0, -2.0, 9.0, 10.0}, norm_param()},
          powerlaw_eval,
          "power law K E^-PhoIndex, K photons/keV/cm^2/s at 1 keV"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(powerlaw, specnet::sim::make_powerlaw());
SPECNET_REGISTER_MODEL(zpowerlw, specnet::sim::with_redshift(specnet::sim::make_powerlaw(), "zpowerlw",
                                                             "redshifted power law K (E(1+z))^-PhoIndex"));
