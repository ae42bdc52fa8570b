// apec: collisional-ionisation-equilibrium plasma (continuum + K-shell lines) from a CHIANTI-derived table.
// Matches XSPEC apec's parameters (kT, Abundanc, Redshift, norm) and normalisation; physics in docs/physics.md.
#pragma once
#include <cstdint>

namespace specnet::sim {

// Photon flux per bin [photons cm^-2 s^-1] of a CIE plasma, XSPEC apec conventions:
//   edges_kev  (E + 1) strictly increasing observed-frame bin edges [keV], edges_kev[0] >= 0
//   out        (E)     integrated photons in [edges_kev[i], edges_kev[i+1]]
//   kT_keV     plasma temperature, within [apec_kt_min_kev(), apec_kt_max_kev()]
//   abundance  metal abundance relative to solar (Anders & Grevesse 1989); H and He stay solar
//   redshift   z > -1: the rest-frame spectrum is evaluated on E (1 + z) and divided by (1 + z)
//   norm       1e-14 / (4 pi (D_A (1 + z))^2) * integral n_e n_H dV  [cm^-5]
// Throws specnet::Error on null pointers, E < 1, bad edges, NaN/inf or out-of-range parameters.
void apec_photons(const double* edges_kev, std::int64_t E, double kT_keV, double abundance, double redshift,
                  double norm, double* out);

// The two parts of apec_photons (their sum is apec_photons), same arguments and checks.
void apec_continuum_photons(const double* edges_kev, std::int64_t E, double kT_keV, double abundance,
                            double redshift, double norm, double* out);
void apec_line_photons(const double* edges_kev, std::int64_t E, double kT_keV, double abundance, double redshift,
                       double norm, double* out);

// Temperature range of the embedded table [keV].
double apec_kt_min_kev();
double apec_kt_max_kev();

// The embedded table itself, for backends that evaluate apec with the same arithmetic (the CUDA fakeit).
struct ApecTable {
  int num_temps;                     // kT_t = kt_min (kt_max / kt_min)^(t / (num_temps - 1)) [keV]
  double kt_min_kev, kt_max_kev;
  int num_cells;                     // continuum cells between num_cells + 1 log-spaced nodes
  const double* node_energy_kev;     // (num_cells + 1) rest-frame node energies
  const float* continuum_hhe;        // (num_temps, num_cells) photons cm^3 s^-1 per cell, H + He
  const float* continuum_metals;     // (num_temps, num_cells) the metals at solar abundance
  int num_lines;
  const double* line_energy_kev;     // (num_lines) rest energies, ascending
  const float* line_emissivity;      // (num_lines, num_temps) photons cm^3 s^-1
  double emission_measure_per_norm;  // int n_e n_H dV / (4 pi D^2) [cm^-5] per unit norm
};
const ApecTable& apec_table();

}  // namespace specnet::sim
