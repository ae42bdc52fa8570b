// OGIP redistribution matrix (RMF, CAL/GEN/92-002): MATRIX / SPECRESP MATRIX plus EBOUNDS, stored sparse as
// XSPEC does (groups of non-zero channels per energy row), with folding as one sparse vector-matrix product.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace specnet::io {

// Energy-major compressed sparse rows: the entries of energy bin e are [row_start[e], row_start[e+1]),
// each a 0-based channel index (channel number - first_channel) and a probability.
struct Rmf {
  std::vector<double> energy_lo_kev;      // (E)
  std::vector<double> energy_hi_kev;      // (E)
  std::vector<double> channel_e_min_kev;  // (H) EBOUNDS E_MIN
  std::vector<double> channel_e_max_kev;  // (H) EBOUNDS E_MAX
  std::vector<std::int64_t> row_start;    // (E+1)
  std::vector<std::int32_t> channel_index;  // (nnz)
  std::vector<double> value;                // (nnz)
  int first_channel = 1;                    // TLMIN of F_CHAN (0 for NuSTAR/NICER, 1 for many others)
  std::string telescop = "UNKNOWN";
  std::string instrume = "UNKNOWN";
  std::string filter = "NONE";
  std::string chantype = "PI";
  // True for a SPECRESP MATRIX / HDUCLAS3 FULL file: the matrix already includes the effective area (cm^2).
  bool includes_area = false;
  double lo_thres = 0;  // LO_THRES: values below it were dropped by the file's producer

  std::size_t num_energies() const { return energy_lo_kev.size(); }
  std::size_t num_channels() const { return channel_e_min_kev.size(); }
  std::size_t num_nonzero() const { return value.size(); }
};

// Reads MATRIX (or SPECRESP MATRIX) and EBOUNDS. Handles N_GRP > 1, F_CHAN/N_CHAN/MATRIX as scalar, fixed
// or variable-length arrays, and TLMIN of F_CHAN 0 or 1 (absent: EBOUNDS' first CHANNEL, as OGIP allows).
// Exact zeros inside groups are dropped. Channels outside DETCHANS, NaN/Inf entries, bad grids -> Error.
Rmf read_rmf(const std::string& path);
Rmf read_rmf_bytes(const void* data, std::size_t size, const std::string& name);
// Writes primary + MATRIX (variable-length F_CHAN/N_CHAN/MATRIX, one group per run of consecutive
// channels) + EBOUNDS, fitsverify-clean with CHECKSUM; overwrites `path`.
void write_rmf(const std::string& path, const Rmf& rmf);
// Checks sizes, CSR structure, channel range, finite values and both energy grids.
void validate(const Rmf& rmf, const std::string& name);

// Fills the CSR arrays from a dense (E, H) row-major matrix, keeping entries with |value| > threshold.
void set_dense_matrix(Rmf& rmf, const std::vector<double>& dense, double threshold = 0);

// counts/s per channel (H) = sum_e rmf[e, h] * in[e], where in (E) is already photons/s per energy bin
// times the ARF (photons cm^-2 s^-1 * cm^2). Sums in energy order, so the result is deterministic.
std::vector<double> fold(const Rmf& rmf, const std::vector<double>& photons_per_bin_times_arf);
void fold_into(const Rmf& rmf, const double* in, double* out);  // in (E), out (H) overwritten

}  // namespace specnet::io
