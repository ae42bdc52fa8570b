// Shared pieces of the multicolour-disk models (diskbb, ezdiskbb): the photon constant and XSPEC's
// 5-point Gauss-Legendre rule per energy bin.
#pragma once
#include <cstdint>

#include "quadrature.h"

namespace specnet::sim::detail {

// C = (8 pi / 3) * 2 / (h^3 c^2) * (1 km / 10 kpc)^2 in photons cm^-2 s^-1 keV^-3: with norm =
// (R_in[km] / D[10 kpc])^2 cos i, N(E) = norm C / T_in * int_0^T_in E^2 (T/T_in)^(-11/3) / (exp(E/T) - 1) dT.
constexpr double kDiskbbConstant = 2.770e-3;

// out[i] = norm * integral over bin i of photon_density(E) dE with 5-point Gauss-Legendre, as XSPEC does.
template <class F>
void integrate_bins_gl5(const double* edges_kev, std::int64_t E, double norm, F&& photon_density, double* out) {
  static const GaussLegendre gl(5);
  for (std::int64_t i = 0; i < E; ++i) out[i] = norm * gl.integrate(photon_density, edges_kev[i], edges_kev[i + 1]);
}

}  // namespace specnet::sim::detail
