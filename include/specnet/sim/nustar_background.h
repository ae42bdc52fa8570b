// NuSTAR FPMA background for a source region from the nuskybgd model (Wik et al. 2014): aperture stray light,
// focused CXB, internal apec + instrumental lines, instrumental continuum, as nuskybgd_spec fakes it in XSPEC.
#pragma once
#include <array>
#include <vector>

#include "specnet/sim/instrument.h"

namespace specnet::sim {

// Units (nuskybgd conventions, documented in src/sim/nustar_background_table.inc):
//   area_arcmin2      region area on the sky (= on the detector plane: 1 arcmin = 1.465 mm at 10.14 m);
//   detector_weights  fraction of that area on detectors 0-3 (sum 1); the default spreads it evenly.
// Internal lines / apec / continuum norms are whole-detector values p_d scaled by the region's area on each
// detector over the detector area (42.97 arcmin^2); the focused CXB by area over the four detectors' area;
// the aperture component by area times a uniform level per arcmin^2 (calibrated on a real background
// spectrum because the spatial aperture image is not available).
struct NustarRegion {
  double area_arcmin2 = 3.14159265358979;  // a 60" radius circle
  std::array<double, 4> detector_weights = {0.25, 0.25, 0.25, 0.25};
};

// Background count rates per PI channel, (H) each, counts/s in the region.
struct NustarBackground {
  std::vector<double> aperture;   // cutoffpl through RMF x be.arf
  std::vector<double> fcxb;       // cutoffpl through RMF x fcxbA.arf
  std::vector<double> internal;   // apec + 29 lorentz lines through the RMF (no ARF)
  std::vector<double> continuum;  // bknpower through a diagonal response (diag.rmf) on the channel grid
  std::vector<double> total;      // sum of the four
};

// Evaluates the four components on `response`'s RMF grids (its ARF is not used). Errors for a region with
// non-positive/NaN area, bad weights, or a response whose energy grid does not cover 3-79 keV.
NustarBackground nustar_background(const InstrumentResponse& response, const NustarRegion& region);

double circle_area_arcmin2(double radius_arcsec);
// BACKSCAL as nuproducts / nuskybgd write it: region area / area of the 1000 x 1000 sky image (2.4581" pixels).
double nustar_backscal(double area_arcmin2);

// Sum of rate[h] over channels whose [E_min, E_max) lies inside [lo_kev, hi_kev).
double band_rate(const io::Rmf& rmf, const std::vector<double>& rate, double lo_kev, double hi_kev);

}  // namespace specnet::sim
