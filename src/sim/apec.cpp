// apec: CIE plasma photon spectrum per bin from the embedded CHIANTI-derived emissivity table (apec_table.inc).
// Matches XSPEC apec: norm = 1e-14/(4 pi (D_A(1+z))^2) int n_e n_H dV, metals scaled by Abundanc, redshift.
#include "specnet/sim/apec.h"

#include <array>
#include <cmath>

#include "specnet/error.h"

namespace specnet::sim {
namespace {

#include "apec_table.inc"

constexpr int kNumCells = kApecNumNodes - 1;
static_assert(kApecNumTemps >= 2 && kNumCells >= 3, "apec table too small");
// int n_e n_H dV / (4 pi D^2) [cm^-5] per unit XSPEC norm.
constexpr double kEmissionMeasurePerNorm = 1e14;

// (kApecNumNodes) rest-frame node energies of the continuum cells [keV].
const std::array<double, kApecNumNodes>& node_energies_kev() {
  static const std::array<double, kApecNumNodes> nodes = [] {
    std::array<double, kApecNumNodes> e{};
    const double ratio = kApecEMaxKeV / kApecEMinKeV;
    for (int k = 0; k < kApecNumNodes; ++k) e[k] = kApecEMinKeV * std::pow(ratio, double(k) / kNumCells);
    return e;
  }();
  return nodes;
}

struct TempWeights {
  int lo;      // lower table temperature index
  double w;    // weight of lo + 1 (linear in log T)
};

TempWeights temperature_weights(double kT_keV) {
  const double t = std::log(kT_keV / kApecKtMinKeV) / std::log(kApecKtMaxKeV / kApecKtMinKeV) * (kApecNumTemps - 1);
  int lo = static_cast<int>(std::floor(t));
  if (lo < 0) lo = 0;
  if (lo > kApecNumTemps - 2) lo = kApecNumTemps - 2;
  return {lo, t - lo};
}

void check_inputs(const double* edges_kev, std::int64_t E, double kT_keV, double abundance, double redshift,
                  double norm, const double* out) {
  SPECNET_CHECK(edges_kev != nullptr && out != nullptr, "apec: null edges or output pointer");
  SPECNET_CHECK(E >= 1, "apec: need at least one energy bin, got E = ", E);
  SPECNET_CHECK(std::isfinite(kT_keV), "apec: kT is not finite (", kT_keV, ")");
  SPECNET_CHECK(kT_keV >= kApecKtMinKeV && kT_keV <= kApecKtMaxKeV, "apec: kT = ", kT_keV,
                " keV is outside the table range [", kApecKtMinKeV, ", ", kApecKtMaxKeV, "] keV");
  SPECNET_CHECK(std::isfinite(abundance) && abundance >= 0, "apec: abundance must be finite and >= 0, got ",
                abundance);
  SPECNET_CHECK(std::isfinite(redshift) && redshift > -1, "apec: redshift must be finite and > -1, got ", redshift);
  SPECNET_CHECK(std::isfinite(norm) && norm >= 0, "apec: norm must be finite and >= 0, got ", norm);
  SPECNET_CHECK(std::isfinite(edges_kev[0]) && edges_kev[0] >= 0, "apec: first energy edge must be finite and >= 0, got ",
                edges_kev[0]);
  for (std::int64_t i = 0; i < E; ++i) {
    SPECNET_CHECK(std::isfinite(edges_kev[i + 1]) && edges_kev[i + 1] > edges_kev[i],
                  "apec: energy edges must be finite and strictly increasing (edge ", i + 1, " = ", edges_kev[i + 1],
                  " after ", edges_kev[i], ")");
  }
}

// One continuum component (H+He or metals) at one temperature: cell totals spread inside each cell with a
// linear density whose slope comes from the neighbouring cells (limited so that the density stays >= 0 and no
// new extrema appear). The photon count of every cell is kept exactly, and the profile is linear in the table
// values, so scaling the metals by the abundance commutes with the sub-cell interpolation.
struct CellProfile {
  std::array<double, kNumCells> cell{};   // (cells) photons cm^3 s^-1 in each cell
  std::array<double, kNumCells> beta{};   // (cells) relative density slope across the cell, |beta| <= 2

  CellProfile(const float* table, TempWeights tw) {
    const auto& node = node_energies_kev();
    const float* lo = table + tw.lo * kNumCells;
    const float* hi = lo + kNumCells;
    for (int k = 0; k < kNumCells; ++k) cell[k] = (1 - tw.w) * lo[k] + tw.w * hi[k];
    for (int k = 1; k + 1 < kNumCells; ++k) {
      const double dm = cell[k - 1] / (node[k] - node[k - 1]);   // densities per keV
      const double d0 = cell[k] / (node[k + 1] - node[k]);
      const double dp = cell[k + 1] / (node[k + 2] - node[k + 1]);
      if (d0 <= 0 || (dp - d0) * (d0 - dm) <= 0) continue;
      const double mid_m = 0.5 * (node[k - 1] + node[k]), mid_p = 0.5 * (node[k + 1] + node[k + 2]);
      const double b = (dp - dm) / (mid_p - mid_m) * (node[k + 1] - node[k]) / d0;
      beta[k] = std::fmax(-2.0, std::fmin(2.0, b));
    }
  }
  // Photons of cell k between fractions u0 <= u1 of its width.
  double part(int k, double u0, double u1) const {
    return cell[k] * ((u1 - u0) + 0.5 * beta[k] * ((u1 * u1 - u1) - (u0 * u0 - u0)));
  }
};

// A rest energy as (cell, fraction of the cell); energies outside the grid clamp to its ends.
struct CellPos {
  int k;
  double u;
};

// Adds the continuum, H+He plus abundance x metals, integrated over every (rest-frame) bin. Each bin sums its
// partial end cells and the whole cells between (no differences of running totals, so bins far out on the
// exponential tail keep full relative precision).
void add_continuum(const double* edges_kev, std::int64_t E, TempWeights tw, double abundance, double scale,
                   double one_plus_z, double* out) {
  const auto& node = node_energies_kev();
  const CellProfile hhe(kApecContHHe, tw), metals(kApecContMetals, tw);
  int k = 0;  // cells are walked forward since the edges increase
  auto locate = [&](double x) -> CellPos {
    if (x <= node[0]) return {0, 0.0};
    if (x >= node[kNumCells]) return {kNumCells - 1, 1.0};
    while (node[k + 1] <= x) ++k;
    return {k, (x - node[k]) / (node[k + 1] - node[k])};
  };
  auto part = [&](int c, double u0, double u1) { return hhe.part(c, u0, u1) + abundance * metals.part(c, u0, u1); };
  CellPos a = locate(edges_kev[0] * one_plus_z);
  for (std::int64_t i = 0; i < E; ++i) {
    const CellPos b = locate(edges_kev[i + 1] * one_plus_z);
    double photons;
    if (a.k == b.k) {
      photons = part(a.k, a.u, b.u);
    } else {
      photons = part(a.k, a.u, 1.0) + part(b.k, 0.0, b.u);
      for (int c = a.k + 1; c < b.k; ++c) photons += hhe.cell[c] + abundance * metals.cell[c];
    }
    out[i] += scale * photons;
    a = b;
  }
}

// Adds the lines (table sorted by energy) to the bin holding their observed energy, lo <= E < hi.
void add_lines(const double* edges_kev, std::int64_t E, TempWeights tw, double abundance, double scale,
               double one_plus_z, double* out) {
  std::int64_t bin = 0;
  for (int l = 0; l < kApecNumLines; ++l) {
    const double e_obs = kApecLineEnergyKeV[l] / one_plus_z;
    if (e_obs < edges_kev[0]) continue;
    if (e_obs >= edges_kev[E]) break;
    while (edges_kev[bin + 1] <= e_obs) ++bin;
    const float* emis = kApecLineEmis + l * kApecNumTemps + tw.lo;
    out[bin] += scale * abundance * ((1 - tw.w) * emis[0] + tw.w * emis[1]);
  }
}

enum class Parts { kAll, kContinuum, kLines };

void apec_parts(const double* edges_kev, std::int64_t E, double kT_keV, double abundance, double redshift,
                double norm, double* out, Parts parts) {
  check_inputs(edges_kev, E, kT_keV, abundance, redshift, norm, out);
  for (std::int64_t i = 0; i < E; ++i) out[i] = 0.0;
  const TempWeights tw = temperature_weights(kT_keV);
  const double one_plus_z = 1.0 + redshift;
  // Photons per bin: (int n_e n_H dV / 4 pi D^2) * emissivity, time-dilated by 1/(1+z).
  const double scale = norm * kEmissionMeasurePerNorm / one_plus_z;
  if (parts != Parts::kLines) add_continuum(edges_kev, E, tw, abundance, scale, one_plus_z, out);
  if (parts != Parts::kContinuum) add_lines(edges_kev, E, tw, abundance, scale, one_plus_z, out);
}

}  // namespace

void apec_photons(const double* edges_kev, std::int64_t E, double kT_keV, double abundance, double redshift,
                  double norm, double* out) {
  apec_parts(edges_kev, E, kT_keV, abundance, redshift, norm, out, Parts::kAll);
}

void apec_continuum_photons(const double* edges_kev, std::int64_t E, double kT_keV, double abundance,
                            double redshift, double norm, double* out) {
  apec_parts(edges_kev, E, kT_keV, abundance, redshift, norm, out, Parts::kContinuum);
}

void apec_line_photons(const double* edges_kev, std::int64_t E, double kT_keV, double abundance, double redshift,
                       double norm, double* out) {
  apec_parts(edges_kev, E, kT_keV, abundance, redshift, norm, out, Parts::kLines);
}

double apec_kt_min_kev() { return kApecKtMinKeV; }
double apec_kt_max_kev() { return kApecKtMaxKeV; }

const ApecTable& apec_table() {
  static const ApecTable table{kApecNumTemps,   kApecKtMinKeV,        kApecKtMaxKeV,        kNumCells,
                               node_energies_kev().data(), kApecContHHe, kApecContMetals, kApecNumLines,
                               kApecLineEnergyKeV, kApecLineEmis,    kEmissionMeasurePerNorm};
  return table;
}

}  // namespace specnet::sim
