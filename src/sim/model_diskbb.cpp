// diskbb: multicolour accretion-disk blackbody (Mitsuda et al. 1984), T proportional to R^-3/4 down to R_in.
// Matches XSPEC's diskbb (parameters Tin, norm = (R_in/D10)^2 cos i; 5-point Gauss-Legendre per bin).
#include <algorithm>
#include <cmath>

#include "disk_blackbody.h"
#include "interpolation.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// J(a) = int_a^inf t^(5/3) / (e^t - 1) dt, written in w = t^(1/3) (integrand 3 w^7 / (e^(w^3) - 1), smooth
// at 0) and integrated by Gauss-Legendre panels of width <= 0.25 in w.
double disk_j(double a) {
  static const detail::GaussLegendre gl(10);
  auto f = [](double w) {
    const double w3 = w * w * w;
    return w3 < 1e-300 ? 0.0 : 3.0 * w3 * w3 * w / std::expm1(w3);
  };
  auto panels = [&](double w0, double w1) { return gl.integrate_panels(f, w0, w1, 0.25); };
  static const double j0 = panels(0.0, std::cbrt(760.0));  // Gamma(8/3) zeta(8/3) = 1.93216
  if (a < 1.0) return j0 - panels(0.0, std::cbrt(a));      // short side; no cancellation: J(1)/J(0) = 0.77
  if (a > 700.0) return 0.0;
  return panels(std::cbrt(a), std::cbrt(a + 60.0));  // the tail beyond a + 60 is e^-60 relative
}

// J tabulated in ln a (step 0.01, interpolation error < 1e-6) for 1e-6 <= a <= 700; direct outside.
double disk_j_fast(double a) {
  static const detail::LogLogTable table(disk_j, 1e-6, 700.0, 0.01);
  return table.covers(a) ? table(a) : disk_j(a);
}

// params: Tin [keV], norm. out: (E) photons cm^-2 s^-1 per bin.
// In t = E/T the T-integral becomes N(E) = norm C E^2 (E/T_in)^(-8/3) J(E/T_in).
void diskbb_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  const double tin_kev = p[0], norm = p[1];
  if (tin_kev <= 0) {
    std::fill(out, out + E, 0.0);
    return;
  }
  detail::integrate_bins_gl5(
      edges_kev, E, norm * detail::kDiskbbConstant,
      [&](double e) {
        const double a = e / tin_kev;
        return a > 700.0 ? 0.0 : e * e * std::pow(a, -8.0 / 3.0) * disk_j_fast(a);
      },
      out);
}

ModelInfo make_diskbb() {
  return {"diskbb",
          ModelKind::additive,
          {{"Tin", "keV", 1.0, 0.0, 0.0, 1000.0, 1000.0}, norm_param()},
          diskbb_eval,
          "multicolour disk blackbody, norm = (R_in[km]/D[10 kpc])^2 cos i"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(diskbb, specnet::sim::make_diskbb());
