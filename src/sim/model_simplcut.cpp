// simplcut convolution: simpl with an exponential turnover, scattered photons follow E^-Gamma exp(-E/kT_e)
// above the source bin's midpoint, normalised over [Ebar, inf) so that photon number is conserved.
// Follows XSPEC's simplcut (Steiner et al. 2017) without its ReflFrac option; kT_e -> inf gives simpl.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "quadrature.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// The kernel's integrals in u = ln E by 8-point Gauss-Legendre on panels of at most 0.05 in u: each bin's lower and
// upper half (the upper half is the mass above the bin's midpoint), and the tail above the last edge. The nodes
// depend on the grid and kT_e only, so they are cached per thread (dataset generation and fits evaluate the model
// thousands of times on one grid); an evaluation is then one vectorised exp per node.
struct SimplcutNodes {
  std::vector<double> edges_kev;    // (E + 1) the grid they were made for
  double kte_kev = 0;               // the tail's cut-off
  std::vector<double> u, e_kev, w;  // (nodes) ln E, E, the Gauss-Legendre weight in u
  std::vector<std::int64_t> begin;  // (2E + 2) nodes of piece k: [begin[k], begin[k+1]); 2j, 2j+1 the halves of bin j, 2E the tail
};

const SimplcutNodes& simplcut_nodes(const double* edges_kev, std::int64_t E, double kte_kev) {
  static const detail::GaussLegendre gl(8);
  static thread_local SimplcutNodes n;
  if (n.kte_kev == kte_kev && detail::same_grid(n.edges_kev, edges_kev, E)) return n;
  n = SimplcutNodes{};
  n.edges_kev.assign(edges_kev, edges_kev + E + 1);
  n.kte_kev = kte_kev;
  n.begin.push_back(0);
  auto piece = [&](double a, double b) {  // the nodes of detail::integrate_log(f, a, b, gl, 0.05)
    gl.for_each_panel(std::log(a), std::log(b), 0.05, 0, [&](double lo, double hi) {
      gl.for_each_node(lo, hi, [&](double u, double w) {
        n.u.push_back(u);
        n.e_kev.push_back(std::exp(u));
        n.w.push_back(w);
      });
    });
    n.begin.push_back(static_cast<std::int64_t>(n.u.size()));
  };
  for (std::int64_t j = 0; j < E; ++j) {
    const double mid = 0.5 * (edges_kev[j] + edges_kev[j + 1]);
    piece(edges_kev[j], mid);
    piece(mid, edges_kev[j + 1]);
  }
  // Kernel mass above the last edge (lost from the grid, as in simpl): 60 e-foldings of the cut-off.
  piece(edges_kev[E], edges_kev[E] + 60.0 * kte_kev);
  return n;
}

// params: Gamma, FracSctr, kT_e [keV]. out: (E) bin fluxes, transformed in place.
void simplcut_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  const double gamma = p[0], frac = p[1], kte_kev = p[2];
  const SimplcutNodes& n = simplcut_nodes(edges_kev, E, kte_kev);
  // The kernel E^-Gamma exp(-E / kT_e) times dE/du = E, at every node: exp((1 - Gamma) u - E / kT_e) w.
  static thread_local Eigen::ArrayXd kernel;  // (nodes)
  const auto nodes = static_cast<Eigen::Index>(n.u.size());
  using Map = Eigen::Map<const Eigen::ArrayXd>;
  kernel = ((1.0 - gamma) * Map(n.u.data(), nodes) - Map(n.e_kev.data(), nodes) * (1.0 / kte_kev)).exp() *
           Map(n.w.data(), nodes);
  auto mass = [&](std::int64_t k) {
    double s = 0;
    for (std::int64_t i = n.begin[k]; i < n.begin[k + 1]; ++i) s += kernel[i];
    return s;
  };
  std::vector<double> bin(E), partial(E), beyond(E + 1);  // (E) kernel per bin, from midpoint; (E+1) tails
  for (std::int64_t j = 0; j < E; ++j) {
    partial[j] = mass(2 * j + 1);
    bin[j] = mass(2 * j) + partial[j];
  }
  beyond[E] = mass(2 * E);
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
