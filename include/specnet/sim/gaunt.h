// Thermally averaged free-free Gaunt factor used by the bremss model (van Hoof et al. 2014, Z = 1 table).
// XSPEC's bremss uses the older Kellogg, Baldwin & Koch (1975) fits to Karzas & Latter instead.
#pragma once

namespace specnet::sim {

// <g_ff> for an ion of charge z at photon energy e_kev in a plasma of temperature kt_kev; ln g is interpolated
// bicubically in (log gamma^2, log u) with gamma^2 = z^2 Ry / kT and u = E / kT (non-relativistic Z scaling).
// Clamped outside log gamma^2 in [-6, 3.2] and above log u = 2.6; linear in log u below log u = -8.
double gaunt_ff(double e_kev, double kt_kev, double z);

}  // namespace specnet::sim
