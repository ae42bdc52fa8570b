// gaussian (and zgauss) line: K photons/cm^2/s in a Gaussian of centre LineE and width Sigma,
// renormalised to unit integral over E > 0 (physics notes); XSPEC's gaussian differs only when LineE ~ Sigma.
#include <cmath>

#include "line_profile.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// Integral of the unit normal between z1 < z2, through erfc in the tails so far bins keep their precision.
double normal_mass(double z1, double z2) {
  const double r = 1.0 / std::sqrt(2.0);
  if (z1 >= 0) return 0.5 * (std::erfc(z1 * r) - std::erfc(z2 * r));
  if (z2 <= 0) return 0.5 * (std::erfc(-z2 * r) - std::erfc(-z1 * r));
  return 0.5 * (std::erf(z2 * r) - std::erf(z1 * r));
}

// params: LineE [keV], Sigma [keV], norm. out: (E) photons cm^-2 s^-1 per bin.
void gaussian_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  const double e0 = p[0], sigma = p[1], norm = p[2];
  if (sigma <= 0) {
    detail::delta_line(edges_kev, E, e0, norm, out);
    return;
  }
  const double positive = 0.5 * std::erfc(-e0 / (sigma * std::sqrt(2.0)));  // mass at E > 0
  for (std::int64_t i = 0; i < E; ++i)
    out[i] = norm * normal_mass((edges_kev[i] - e0) / sigma, (edges_kev[i + 1] - e0) / sigma) / positive;
}

ModelInfo make_gaussian() {
  return {"gaussian",
          ModelKind::additive,
          {{"LineE", "keV", 6.5, 0.0, 0.0, 1e6, 1e6}, {"Sigma", "keV", 0.1, 0.0, 0.0, 10.0, 20.0}, norm_param()},
          gaussian_eval,
          "Gaussian line, norm photons/cm^2/s in the line"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(gaussian, specnet::sim::make_gaussian());
SPECNET_REGISTER_MODEL(zgauss,
                       specnet::sim::with_redshift(specnet::sim::make_gaussian(), "zgauss",
                                                   "redshifted Gaussian line (LineE, Sigma in the rest frame)"));
