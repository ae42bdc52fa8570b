// bknpower: broken power law K E^-Gamma1 below BreakE, K BreakE^(Gamma2-Gamma1) E^-Gamma2 above.
// Matches XSPEC's bknpower (continuous at BreakE); per-bin Gauss-Legendre in ln E, bins split at the break.
#include <algorithm>
#include <cmath>

#include "quadrature.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// params: PhoIndx1, BreakE [keV], PhoIndx2, norm. out: (E) photons cm^-2 s^-1 per bin.
void bknpower_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  static const detail::GaussLegendre gl(8);
  const double g1 = p[0], ebreak_kev = p[1], g2 = p[2], norm = p[3];
  const double log_break = std::log(ebreak_kev);
  auto below = [&](double e) { return std::exp(-g1 * std::log(e)); };
  auto above = [&](double e) { return std::exp((g2 - g1) * log_break - g2 * std::log(e)); };
  for (std::int64_t i = 0; i < E; ++i) {
    const double lo = edges_kev[i], hi = edges_kev[i + 1];
    double s = 0;
    if (lo < ebreak_kev) s += detail::integrate_log(below, lo, std::min(hi, ebreak_kev), gl, 0.1);
    if (hi > ebreak_kev) s += detail::integrate_log(above, std::max(lo, ebreak_kev), hi, gl, 0.1);
    out[i] = norm * s;
  }
}

ModelInfo make_bknpower() {
  return {"bknpower",
          ModelKind::additive,
          {{"PhoIndx1", "", 1.0, -3.0, -2.0, 9.0, 10.0},
           {"BreakE", "keV", 5.0, 1e-6, 1e-2, 1e6, 1e6},
           {"PhoIndx2", "", 2.0, -3.0, -2.0, 9.0, 10.0},
           norm_param()},
          bknpower_eval,
          "broken power law, continuous at BreakE, K photons/keV/cm^2/s at 1 keV"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(bknpower, specnet::sim::make_bknpower());
