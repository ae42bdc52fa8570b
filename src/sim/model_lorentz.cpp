// lorentz line: K photons/cm^2/s in a Lorentzian of centre LineE and FWHM Width, renormalised to unit
// integral over E > 0 by 1/(pi/2 - atan(-2 LineE/Width)) as XSPEC's lorentz does.
#include <cmath>

#include "line_profile.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// atan(x2) - atan(x1) for x1 < x2, through atan(1/x) when both are far on one side (no cancellation).
double atan_diff(double x1, double x2) {
  if (x1 >= 1.0 || x2 <= -1.0) return std::atan(1.0 / x1) - std::atan(1.0 / x2);
  return std::atan(x2) - std::atan(x1);
}

// params: LineE [keV], Width (FWHM) [keV], norm. out: (E) photons cm^-2 s^-1 per bin.
void lorentz_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  const double e0 = p[0], fwhm = p[1], norm = p[2];
  if (fwhm <= 0) {
    detail::delta_line(edges_kev, E, e0, norm, out);
    return;
  }
  const double half_pi = 1.57079632679489661923;
  const double positive = half_pi - std::atan(-2.0 * e0 / fwhm);  // pi x (mass at E > 0)
  for (std::int64_t i = 0; i < E; ++i)
    out[i] = norm * atan_diff(2.0 * (edges_kev[i] - e0) / fwhm, 2.0 * (edges_kev[i + 1] - e0) / fwhm) / positive;
}

ModelInfo make_lorentz() {
  return {"lorentz",
          ModelKind::additive,
          {{"LineE", "keV", 6.5, 0.0, 0.0, 1e6, 1e6}, {"Width", "keV", 0.1, 0.0, 0.0, 10.0, 20.0}, norm_param()},
          lorentz_eval,
          "Lorentzian line, Width = FWHM, norm photons/cm^2/s in the line"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(lorentz, specnet::sim::make_lorentz());
