// tbabs: Tuebingen-Boulder ISM absorption exp(-N_H sigma_ISM(E)) (Wilms, Allen & McCray 2000), averaged
// over each bin. Matches XSPEC's tbabs with `abund wilm`; sigma_ISM comes from tools/make_tbabs_table.py.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <vector>

#include "quadrature.h"
#include "specnet/sim/model.h"
#include "specnet/sim/tbabs.h"

namespace specnet::sim {
namespace {

#include "tbabs_table.inc"

// Power-law slope of sigma over the last 0.1 dex (40 table steps) of the table, for E > 100 keV.
double high_energy_slope() {
  const int a = kTbabsN - 41, b = kTbabsN - 1;
  return std::log(kTbabsSigma22[b] / kTbabsSigma22[a]) / std::log(kTbabsEnergyKev[b] / kTbabsEnergyKev[a]);
}

// Dataset generation evaluates tbabs thousands of times on one grid with different nH, so the nodes are
// cached per thread and each evaluation costs one exp per node.
const TbabsQuadrature& nodes_for(const double* edges_kev, std::int64_t E) {
  static thread_local TbabsQuadrature cache;
  if (detail::same_grid(cache.edges_kev, edges_kev, E)) return cache;
  cache = tbabs_quadrature(edges_kev, E);
  return cache;
}

// params: nH [1e22 cm^-2]. out: (E) transmission averaged over each bin, (1/dE) int exp(-N_H sigma) dE.
void tbabs_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  const double nh22 = p[0];
  if (nh22 == 0) {  // exactly transparent (the quadrature weights sum to 1 only up to rounding)
    std::fill(out, out + E, 1.0);
    return;
  }
  const TbabsQuadrature& n = nodes_for(edges_kev, E);
  // exp over all nodes as one vectorised Eigen expression, then the per-bin weighted sums.
  static thread_local Eigen::ArrayXd transmission;  // (nodes)
  const auto nodes = static_cast<Eigen::Index>(n.sigma22.size());
  transmission = (-nh22 * Eigen::Map<const Eigen::ArrayXd>(n.sigma22.data(), nodes)).exp() *
                 Eigen::Map<const Eigen::ArrayXd>(n.weight.data(), nodes);
  for (std::int64_t i = 0; i < E; ++i) {
    double sum = 0;
    for (std::int64_t j = n.bin_begin[i]; j < n.bin_begin[i + 1]; ++j) sum += transmission[j];
    out[i] = sum;
  }
}

ModelInfo make_tbabs() {
  return {"tbabs",
          ModelKind::multiplicative,
          {{"nH", "10^22", 1.0, 0.0, 0.0, 1e5, 1e6}},
          tbabs_eval,
          "ISM absorption, Wilms, Allen & McCray 2000 (wilm abundances, grains, H2)"};
}

}  // namespace

TbabsQuadrature tbabs_quadrature(const double* edges_kev, std::int64_t E) {
  static const detail::GaussLegendre gl(4);
  TbabsQuadrature n;
  n.edges_kev.assign(edges_kev, edges_kev + E + 1);
  n.bin_begin.push_back(0);
  const double* table_end = kTbabsEnergyKev + kTbabsN;
  for (std::int64_t i = 0; i < E; ++i) {
    const double lo = edges_kev[i], hi = edges_kev[i + 1];
    auto add_piece = [&](double a, double b) {
      for (std::size_t k = 0; k < gl.x.size(); ++k) {
        const double e = 0.5 * (a + b) + 0.5 * (b - a) * gl.x[k];
        n.sigma22.push_back(tbabs_sigma_1e22(e));
        n.weight.push_back(0.5 * (b - a) * gl.w[k] / (hi - lo));
      }
    };
    const double* node = std::upper_bound(kTbabsEnergyKev, table_end, lo);  // first table energy > lo
    double a = lo;
    for (; node != table_end && *node < hi; ++node) {
      add_piece(a, *node);
      a = *node;
    }
    add_piece(a, hi);
    n.bin_begin.push_back(static_cast<std::int64_t>(n.sigma22.size()));
  }
  return n;
}

double tbabs_sigma_1e22(double e_kev) {
  static const double slope = high_energy_slope();
  if (!(e_kev > kTbabsEnergyKev[0])) return kTbabsSigma22[0];
  if (e_kev >= kTbabsEnergyKev[kTbabsN - 1])
    return kTbabsSigma22[kTbabsN - 1] * std::pow(e_kev / kTbabsEnergyKev[kTbabsN - 1], slope);
  const double* table_end = kTbabsEnergyKev + kTbabsN;
  const int k = static_cast<int>(std::upper_bound(kTbabsEnergyKev, table_end, e_kev) - kTbabsEnergyKev) - 1;
  const double e0 = kTbabsEnergyKev[k], e1 = kTbabsEnergyKev[k + 1], s0 = kTbabsSigma22[k], s1 = kTbabsSigma22[k + 1];
  return s0 * std::exp(std::log(s1 / s0) * std::log(e_kev / e0) / std::log(e1 / e0));  // log-log
}

}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(tbabs, specnet::sim::make_tbabs());
