// simplcut convolution: simpl with an exponential turnover, scattered photons follow E^-Gamma exp(-E/kT_e)
// above the source bin's midpoint, normalised over [Ebar, inf) so that photon number is conserved.
// Follows XSPEC's simplcut (Steiner et al. 2017) without its ReflFrac option; kT_e -> inf gives simpl.
#include <algorithm>
#include <cmath>
#include <vector>

#include "quadrature.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// params: Gamma, FracSctr, kT_e [keV]. out: (E) bin fluxes, transformed in place.
void simplcut_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  static const detail::GaussLegendre gl(8);
  const double gamma = p[0], frac = p[1], kte_kev = p[2];
  auto kernel = [&](double e) { return std::exp(-gamma * std::log(e) - e / kte_kev); };
  auto integral = [&](double a, double b) { return detail::integrate_log(kernel, a, b, gl, 0.05); };
  std::vector<double> bin(E), partial(E), beyond(E + 1);  // (E) kernel per bin, from midpoint; (E+1) tails
  for (std::int64_t j = 0; j < E; ++j) {
    bin[j] = integral(edges_kev[j], edges_kev[j + 1]);
    partial[j] = integral(0.5 * (edges_kev[j] + edges_kev[j + 1]), edges_kev[j + 1]);
  }
  // Kernel mass above the last edge (lost from the grid, as in simpl): 60 e-foldings of the cut-off.
  const double top = edges_kev[E];
  beyond[E] = integral(top, top + 60.0 * kte_kev);
  for (std::int64_t j = E - 1; j >= 0; --j) beyond[j] = beyond[j + 1] + bin[j];
  double upscattered = 0;  // sum_{i<j} F_i / N_i
  for (std::int64_t j = 0; j < E; ++j) {
    const double f = out[j], total = partial[j] + beyond[j + 1];  // N_j = kernel mass above the midpoint
    double scattered = bin[j] * upscattered;
    if (total > 1e-280) {
      scattered += f * partial[j] / total;
      upscattered += f / total;
    } else {
      scattered += f;  // source far above kT_e: the kernel is narrower than the bin, photons stay
    }
    out[j] = (1.0 - frac) * f + frac * scattered;
  }
}

ModelInfo make_simplcut() {
  return {"simplcut",
          ModelKind::convolution,
          {{"Gamma", "", 2.3, 1.0, 1.1, 4.0, 5.0},
           {"FracSctr", "", 0.05, 0.0, 0.0, 0.4, 1.0},
           {"kT_e", "keV", 100.0, 1.0, 1.0, 1000.0, 1000.0, true}},
          simplcut_eval,
          "simpl with exponential turnover exp(-E/kT_e)"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(simplcut, specnet::sim::make_simplcut());
