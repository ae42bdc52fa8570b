// bremss (and zbremss): thermal bremsstrahlung of a H + He plasma, n(He)/n(H) = 0.085, as XSPEC's bremss:
// N(E) = norm [g(E,T,1) + 4 0.085 g(E,T,2)] T^-1/2 exp(-E/T) / E, norm = 3.02e-15/(4 pi D^2) int n_e n_H dV.
//
// Gaunt factor: XSPEC uses the Kellogg, Baldwin & Koch (1975) polynomial fits to Karzas & Latter; here the
// thermally averaged relativistic Gaunt factor of van Hoof et al. (2014) for Z = 1 (table derived by
// tools/make_gaunt_table.py), ln g interpolated bicubically in (log gamma^2, log u), gamma^2 = Z^2 Ry/kT,
// u = E/kT. He (Z = 2) uses the same table at gamma^2 = 4 Ry/kT (the exact non-relativistic Z scaling).
// Below u = 1e-8 the table is extrapolated linearly in log u (g ~ ln(1/u) there); above u = 10^2.6 and
// outside the gamma^2 range it is clamped. Bins are integrated by Gauss-Legendre in ln E (XSPEC: trapezoid).
#include <algorithm>
#include <cmath>
#include <iterator>
#include <vector>

#include "interpolation.h"
#include "quadrature.h"
#include "specnet/sim/gaunt.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

#include "gaunt_ff_table.inc"

constexpr double kRydbergKev = 13.605693e-3;
constexpr double kHeliumPerHydrogen = 0.085;

// ln g of the table: interpolating the logarithm follows the steep relativistic rise at large u and small
// gamma^2 (leave-one-out tests on the table: 1.7% worst at 0.4 dex spacing in ln g, 40% in g).
const std::vector<double>& log_gaunt_table() {
  static const std::vector<double> table = [] {
    std::vector<double> t(std::begin(kGauntTable), std::end(kGauntTable));  // (kGauntNU * kGauntNGam2)
    for (double& v : t) v = std::log(v);
    return t;
  }();
  return table;
}

}  // namespace

double gaunt_ff(double e_kev, double kt_kev, double z) {
  const double xg = (std::log10(z * z * kRydbergKev / kt_kev) - kGauntLogGam2Start) / kGauntStepDex;
  const double xu = (std::log10(e_kev / kt_kev) - kGauntLogUStart) / kGauntStepDex;
  int ig, iu;
  double tg, tu, wg[4], wu[4];
  detail::locate_node(xg, kGauntNGam2, &ig, &tg);
  if (xu < 0) {  // below the table: linear in log u through the first two rows
    const double g0 = gaunt_ff(std::pow(10.0, kGauntLogUStart) * kt_kev, kt_kev, z);
    const double g1 = gaunt_ff(std::pow(10.0, kGauntLogUStart + kGauntStepDex) * kt_kev, kt_kev, z);
    return g0 + (g0 - g1) * (-xu);
  }
  detail::locate_node(xu, kGauntNU, &iu, &tu);
  detail::cubic_weights(tg, wg);
  detail::cubic_weights(tu, wu);
  const std::vector<double>& log_table = log_gaunt_table();
  double log_g = 0;
  for (int a = 0; a < 4; ++a)
    for (int b = 0; b < 4; ++b) log_g += wu[a] * wg[b] * log_table[(iu - 1 + a) * kGauntNGam2 + (ig - 1 + b)];
  return std::exp(log_g);
}

namespace {

// params: kT [keV], norm. out: (E) photons cm^-2 s^-1 per bin.
void bremss_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  static const detail::GaussLegendre gl(4);
  const double kt_kev = p[0], norm = p[1], tfac = 1.0 / std::sqrt(kt_kev);
  auto density = [&](double e) {
    const double u = e / kt_kev;
    if (u > 745.0) return 0.0;
    return (gaunt_ff(e, kt_kev, 1.0) + 4.0 * kHeliumPerHydrogen * gaunt_ff(e, kt_kev, 2.0)) * tfac * std::exp(-u) / e;
  };
  for (std::int64_t i = 0; i < E; ++i) {
    // Above E = 745 kT exp(-E/kT) underflows: integrate up to there only.
    const double lo = edges_kev[i], hi = std::min(edges_kev[i + 1], 745.0 * kt_kev);
    if (lo >= hi) {
      out[i] = 0.0;
      continue;
    }
    // Panels of at most 0.05 in ln E and at most 2 kT wide, so exp(-E/kT) stays smooth on each.
    const double dlog = std::log(hi / lo);
    const double n = std::max(std::ceil(dlog / 0.05), std::ceil(hi * dlog / (2.0 * kt_kev)));
    out[i] = norm * detail::integrate_log(density, lo, hi, gl, 0, static_cast<std::int64_t>(std::min(n, 4096.0)));
  }
}

ModelInfo make_bremss() {
  return {"bremss",
          ModelKind::additive,
          {{"kT", "keV", 7.0, 1e-4, 1e-4, 100.0, 200.0}, norm_param()},
          bremss_eval,
          "thermal bremsstrahlung (H + He), norm = 3.02e-15/(4 pi D^2) int n_e n_H dV"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(bremss, specnet::sim::make_bremss());
SPECNET_REGISTER_MODEL(zbremss, specnet::sim::with_redshift(specnet::sim::make_bremss(), "zbremss",
                                                            "redshifted thermal bremsstrahlung"));
