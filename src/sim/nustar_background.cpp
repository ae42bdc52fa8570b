// nuskybgd's four-component NuSTAR background folded through a response, per PI channel; matches
// nuskybgd_spec.pro's XSPEC sources (cutoffpl x be.arf, cutoffpl x fcxb.arf, apec+lorentz, bknpower x diag.rmf).
#include "specnet/sim/nustar_background.h"

#include <cmath>

#include "specnet/error.h"
#include "specnet/sim/apec.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

#include "nustar_background_table.inc"

// Photons cm^-2 s^-1 per bin of a registered model on edges (E+1) -> (E).
std::vector<double> eval_named(const char* name, const std::vector<double>& edges, std::vector<double> params) {
  std::vector<double> out(edges.size() - 1);  // (E)
  evaluate_model(find_model(name), edges.data(), static_cast<std::int64_t>(out.size()), params.data(), out.data());
  return out;
}

std::vector<double> fold_rmf(const io::Rmf& rmf, const std::vector<double>& photons, const std::vector<double>* area) {
  std::vector<double> in(photons);  // (E)
  if (area)
    for (std::size_t e = 0; e < in.size(); ++e) in[e] *= (*area)[e];
  return io::fold(rmf, in);
}

}  // namespace

double circle_area_arcmin2(double radius_arcsec) {
  SPECNET_CHECK(std::isfinite(radius_arcsec) && radius_arcsec > 0, "circle_area_arcmin2: radius must be > 0, got ",
                radius_arcsec);
  const double r = radius_arcsec / 60.0;
  return M_PI * r * r;
}

double nustar_backscal(double area_arcmin2) {
  SPECNET_CHECK(std::isfinite(area_arcmin2) && area_arcmin2 > 0, "nustar_backscal: area must be > 0, got ",
                area_arcmin2);
  return area_arcmin2 / std::pow(1000.0 * kSkyPixelArcmin, 2);
}

double band_rate(const io::Rmf& rmf, const std::vector<double>& rate, double lo_kev, double hi_kev) {
  SPECNET_CHECK(rate.size() == rmf.num_channels(), "band_rate: ", rate.size(), " rates for ", rmf.num_channels(),
                " channels");
  double sum = 0;
  for (std::size_t h = 0; h < rate.size(); ++h)
    if (rmf.channel_e_min_kev[h] >= lo_kev - 1e-9 && rmf.channel_e_max_kev[h] <= hi_kev + 1e-9) sum += rate[h];
  return sum;
}

NustarBackground nustar_background(const InstrumentResponse& response, const NustarRegion& region) {
  SPECNET_CHECK(std::isfinite(region.area_arcmin2) && region.area_arcmin2 > 0,
                "nustar_background: region area must be a positive number of arcmin^2, got ", region.area_arcmin2);
  SPECNET_CHECK(region.area_arcmin2 <= 4 * kDetectorAreaArcmin2, "nustar_background: region area ",
                region.area_arcmin2, " arcmin^2 exceeds the four detectors (", 4 * kDetectorAreaArcmin2, ")");
  double wsum = 0;
  for (double w : region.detector_weights) {
    SPECNET_CHECK(std::isfinite(w) && w >= 0, "nustar_background: detector weights must be >= 0, got ", w);
    wsum += w;
  }
  SPECNET_CHECK(std::fabs(wsum - 1.0) < 1e-6, "nustar_background: detector weights must sum to 1, got ", wsum);
  const io::Rmf& rmf = response.rmf;
  const std::vector<double> edges = response.energy_edges_kev();  // (E+1)
  SPECNET_CHECK(edges.front() <= 3.0 && edges.back() >= 79.0, "nustar_background: response '", response.name,
                "' covers ", edges.front(), "-", edges.back(), " keV, not NuSTAR's 3-79 keV");

  // Region area on detector d over the detector's area (nuskybgd's detfrac).
  double det_frac[4];
  for (int d = 0; d < 4; ++d) det_frac[d] = region.area_arcmin2 * region.detector_weights[d] / kDetectorAreaArcmin2;
  auto weighted = [&](const double* per_det) {
    double s = 0;
    for (int d = 0; d < 4; ++d) s += per_det[d] * det_frac[d];
    return s;
  };

  NustarBackground bg;
  const double aperture_norm = kApertureNormPerArcmin2 * region.area_arcmin2;
  const double fcxb_norm = kFcxbNormFov * region.area_arcmin2 / (4 * kDetectorAreaArcmin2);
  const std::vector<double> be = builtin_area_on_grid("nustar_be", edges);      // (E)
  const std::vector<double> fcxb_area = builtin_area_on_grid("nustar_fcxb", edges);  // (E)
  bg.aperture = fold_rmf(rmf, eval_named("cutoffpl", edges, {kCxbPhoIndex, kCxbHighEcutKev, aperture_norm}), &be);
  bg.fcxb = fold_rmf(rmf, eval_named("cutoffpl", edges, {kCxbPhoIndex, kCxbHighEcutKev, fcxb_norm}), &fcxb_area);

  std::vector<double> internal(edges.size() - 1);  // (E) photons per bin, through 1 cm^2 (no ARF)
  apec_photons(edges.data(), static_cast<std::int64_t>(internal.size()), kApecKtKev, kApecAbundance, 0.0,
               weighted(kApecNorm), internal.data());
  for (int l = 0; l < kNumLines; ++l) {
    const auto line = eval_named("lorentz", edges, {kLineEnergyKev[l], kLineFwhmKev[l], weighted(kLineNorm[l])});
    for (std::size_t e = 0; e < internal.size(); ++e) internal[e] += line[e];
  }
  bg.internal = fold_rmf(rmf, internal, nullptr);

  // diag.rmf maps each energy bin to the channel of the same energies: integrate over the channel bounds.
  std::vector<double> channel_edges(rmf.channel_e_min_kev);
  channel_edges.push_back(rmf.channel_e_max_kev.back());
  bool contiguous = true;
  for (std::size_t h = 1; h < rmf.num_channels(); ++h)
    contiguous = contiguous && std::fabs(rmf.channel_e_min_kev[h] - rmf.channel_e_max_kev[h - 1]) < 1e-6;
  SPECNET_CHECK(contiguous && channel_edges.front() > 0, "nustar_background: response '", response.name,
                "' has non-contiguous or non-positive channel energies");
  bg.continuum = eval_named("bknpower", channel_edges,
                            {kContPhoIndex1, kContBreakKev, kContPhoIndex2, weighted(kContNorm)});

  bg.total.resize(rmf.num_channels());  // (H)
  for (std::size_t h = 0; h < bg.total.size(); ++h)
    bg.total[h] = bg.aperture[h] + bg.fcxb[h] + bg.internal[h] + bg.continuum[h];
  return bg;
}

}  // namespace specnet::sim
