// cutoffpl: K E^-Gamma exp(-E/HighECut), integrated per bin by Gauss-Legendre in ln E.
// Matches XSPEC's cutoffpl (parameters PhoIndex, HighECut, norm).
#include <cmath>

#include "quadrature.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// params: PhoIndex, HighECut [keV], norm. out: (E) photons cm^-2 s^-1 per bin.
void cutoffpl_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  static const detail::GaussLegendre gl(8);
  const double gamma = p[0], ecut_kev = p[1], norm = p[2];
  auto f = [&](double e) { return std::exp(-gamma * std::log(e) - e / ecut_kev); };
  for (std::int64_t i = 0; i < E; ++i)
    out[i] = norm * detail::integrate_log(f, edges_kev[i], edges_kev[i + 1], gl, 0.05);
}

ModelInfo make_cutoffpl() {
  return {
      "cutoffpl",
      ModelKind::additive,
      {{"PhoIndex", "", 1.0, -3.0, -2.0, 9.0, 10.0}, {"HighECut", "keV", 15.0, 0.01, 1.0, 500.0, 500.0}, norm_param()},
      cutoffpl_eval,
      "power law with high-energy exponential cut-off K E^-PhoIndex exp(-E/HighECut)"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(cutoffpl, specnet::sim::make_cutoffpl());
