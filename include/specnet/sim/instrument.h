// Instrument responses for simulation: built-in NuSTAR FPMA / NICER XTI responses that need no files (Gaussian
// redistribution on the real PI grids x compact ARF tables), or user RMF/ARF files, as XSPEC's `response`/`arf`.
#pragma once
#include <string>
#include <vector>

#include "specnet/io/arf.h"
#include "specnet/io/response.h"
#include "specnet/io/rmf.h"

namespace specnet::sim {

// Detector resolution FWHM(E)^2 = a + b E (keV^2): Fano noise grows linearly with E over a constant floor.
struct GaussianResolution {
  double a_kev2 = 0;
  double b_kev = 0;
  double fwhm_kev(double energy_kev) const;
  double sigma_kev(double energy_kev) const;  // FWHM / (2 sqrt(2 ln 2))
  // Through two (energy, FWHM) points; Error unless the points give a positive FWHM^2 on [e1, e2].
  static GaussianResolution through(double e1_kev, double fwhm1_kev, double e2_kev, double fwhm2_kev);
};
GaussianResolution nustar_resolution();  // 0.4 keV at 6 keV, 0.9 keV at 60 keV (Harrison et al. 2013)
GaussianResolution nicer_resolution();   // 85 eV at 1 keV, 137 eV at 6 keV

// Gaussian RMF: energy bin e (centre E) spreads over channels [channel_edges h, h+1) with a Gaussian of
// sigma(E), truncated at +-truncate_sigma. Rows whose centre lies inside the channel range are normalised to 1
// over the channels (no photon lost at the detector edges); rows outside keep their (small) truncated mass.
//   energy_edges_kev (E+1), channel_edges_kev (H+1), both strictly increasing.
io::Rmf gaussian_rmf(const std::vector<double>& energy_edges_kev, const std::vector<double>& channel_edges_kev,
                     int first_channel, const GaussianResolution& resolution, double truncate_sigma = 4.0);

// Effective-area tables embedded from real ARFs (tools/make_response_tables.py): "nustar" (FPMA), "nicer",
// "nustar_be" (aperture Be-window transmission, dimensionless), "nustar_fcxb" (focused CXB). Linear
// interpolation between knots; 0 outside the table. Error for an unknown table name.
double builtin_area_cm2(const std::string& table, double energy_kev);
// Table evaluated at the centres of E bins: edges (E+1) -> (E).
std::vector<double> builtin_area_on_grid(const std::string& table, const std::vector<double>& energy_edges_kev);

struct InstrumentResponse {
  std::string name;   // "nustar", "nicer", or the RMF path
  io::Rmf rmf;
  io::Arf arf;        // empty when there is no ARF (rmf.includes_area or none given)
  bool has_arf() const { return !arf.area_cm2.empty(); }
  // RMF x ARF as one sparse matrix (folding = one mat-vec).
  io::SparseResponse matrix() const;
  std::size_t num_channels() const { return rmf.num_channels(); }
  std::vector<double> energy_edges_kev() const;  // (E+1) model grid
};

// "nustar": 4096 PI channels E = 1.6 + 0.04 PI keV, model grid 1.6-165.44 keV in 0.04 keV bins.
// "nicer": 1501 PI channels of 10 eV (PI 0-1500), model grid 0.1-20 keV in 5 eV bins.
// Error listing the known names otherwise.
InstrumentResponse builtin_response(const std::string& name);
// "nustar" | "nicer" | "file.rmf" | "file.rmf,file.arf": a built-in name or user OGIP files (any RMF, e.g. a
// real NuSTAR RMF from nuproducts). Errors for missing/malformed files or incompatible grids.
InstrumentResponse load_response(const std::string& spec);

}  // namespace specnet::sim
