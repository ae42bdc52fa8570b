// ezdiskbb: multicolour disk with a zero-torque inner boundary (Zimmerman et al. 2005).
// Matches XSPEC's ezdiskbb: T_max = peak colour temperature, norm = (1/f^4) (R_in[km]/D[10 kpc])^2 cos i.
//
// Relation to diskbb: both integrate colour-corrected blackbodies over the disk with the same photon
// constant, N(E) = norm (3C/4) int_1^inf x E^2 / (exp(E/T(x)) - 1) dx with x = R/R_in. diskbb has
// T = T_in x^-3/4; ezdiskbb has T = T_max x^-3/4 (1 - x^-1/2)^1/4 / tau_max, tau_max = 0.48780 (the peak of
// x^-3/4 (1 - x^-1/2)^1/4, at x = 49/36). Far out both follow x^-3/4, so at E << T the two agree for
// T_in = T_max / tau_max = 2.05 T_max and equal norms; near the peak ezdiskbb is softer.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>

#include "disk_blackbody.h"
#include "interpolation.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// x^-3/4 (1 - x^-1/2)^1/4 at its maximum x = 49/36.
const double kTauMax = std::pow(36.0 / 49.0, 0.75) * std::pow(1.0 / 7.0, 0.25);

// G(r) = int_0^1 2 y^-5 / (exp(r / tau(y)) - 1) dy with y = x^-1/2, tau = y^3/2 (1-y)^1/4 and r = E/T*, so
// that the photon density per unit norm is (3C/4) E^2 G(E/T*). Integrated in ln y, where the integrand
// is a smooth bump, by Gauss-Legendre panels of 0.25.
double ezdisk_g(double r) {
  static const detail::GaussLegendre gl(10);
  // r/tau >= r/tau_max everywhere and >= r y^-3/2 (tau <= y^3/2): below y_min it exceeds its minimum by 60,
  // so that part is below e^-60 of the peak.
  const double y_min = std::pow(r / (r / kTauMax + 60.0), 2.0 / 3.0);
  auto f = [&](double u) {
    const double y = std::exp(u), q = r / (y * std::sqrt(y) * std::pow(1.0 - y, 0.25));
    if (!(q < 700.0)) return 0.0;
    return 2.0 / (y * y * y * y * std::expm1(q));  // 2 y^-5 (...) dy = 2 y^-4 (...) du
  };
  const double u0 = std::log(y_min);
  return gl.integrate_panels(f, u0, 0.0, 0.25);
}

// G tabulated in ln r (step 0.01, interpolation error < 1e-6) for 1e-6 <= r <= 300; below, direct
// evaluation; above, G < e^-600 is dropped.
const detail::LogLogTable& ezdisk_table() {
  static const detail::LogLogTable table(ezdisk_g, 1e-6, 300.0, 0.01);
  return table;
}

// XSPEC's 5-point Gauss-Legendre nodes of each bin, as ln E and E^2 times the weight, which depend on the grid only:
// cached per thread (as tbabs's), so that an evaluation costs one vectorised exp per node.
struct EzdiskNodes {
  std::vector<double> edges_kev;  // (E + 1) the grid they were made for
  std::vector<double> ln_e, e2w;  // (5E) ln E; E^2 w (half the bin width times the Gauss-Legendre weight)
};

const EzdiskNodes& ezdisk_nodes(const double* edges_kev, std::int64_t E) {
  static const detail::GaussLegendre gl(5);
  static thread_local EzdiskNodes n;
  if (detail::same_grid(n.edges_kev, edges_kev, E)) return n;
  n = EzdiskNodes{};
  n.edges_kev.assign(edges_kev, edges_kev + E + 1);
  for (std::int64_t j = 0; j < E; ++j)
    gl.for_each_node(edges_kev[j], edges_kev[j + 1], [&](double e, double w) {
      n.ln_e.push_back(std::log(e));
      n.e2w.push_back(e * e * w);
    });
  return n;
}

// params: T_max [keV], norm. out: (E) photons cm^-2 s^-1 per bin.
void ezdiskbb_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  const double tstar_kev = p[0] / kTauMax, ln_tstar = std::log(tstar_kev);
  const EzdiskNodes& n = ezdisk_nodes(edges_kev, E);
  const detail::LogLogTable& table = ezdisk_table();
  const auto nodes = static_cast<Eigen::Index>(n.ln_e.size());
  static thread_local Eigen::ArrayXd ln_g;  // (nodes) ln G(E / T*)
  ln_g.resize(nodes);
  for (Eigen::Index k = 0; k < nodes; ++k) {
    const double ln_r = n.ln_e[k] - ln_tstar;
    if (table.covers_log(ln_r))
      ln_g[k] = table.log_at(ln_r);
    else if (ln_r > 0)  // r > 300
      ln_g[k] = -INFINITY;
    else
      ln_g[k] = std::log(ezdisk_g(std::exp(ln_r)));
  }
  ln_g = ln_g.exp() * Eigen::Map<const Eigen::ArrayXd>(n.e2w.data(), nodes);
  const double norm = 0.75 * detail::kDiskbbConstant * p[1];
  for (std::int64_t j = 0; j < E; ++j) {
    double s = 0;
    for (std::int64_t i = 0; i < 5; ++i) s += ln_g[5 * j + i];
    out[j] = norm * s;
  }
}

ModelInfo make_ezdiskbb() {
  return {"ezdiskbb",
          ModelKind::additive,
          {{"T_max", "keV", 1.0, 0.01, 0.01, 100.0, 100.0}, norm_param()},
          ezdiskbb_eval,
          "multicolour disk with zero-torque inner boundary, norm = (1/f^4) (R_in[km]/D[10 kpc])^2 cos i"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(ezdiskbb, specnet::sim::make_ezdiskbb());
