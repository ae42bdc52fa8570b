// Combined instrument response: RMF x ARF (x optional channel grouping) precomputed once as a channel-major
// sparse matrix, so folding a model is one CSR mat-vec (XSPEC folds the same product bin by bin).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "specnet/io/arf.h"
#include "specnet/io/grouping.h"
#include "specnet/io/pha.h"
#include "specnet/io/rmf.h"

namespace specnet::io {

// How strictly the ARF's energy grid must equal the RMF's: `exact` compares every edge (relative 1e-5, the
// precision of float32 columns); `count_only` checks only the number of bins, as XSPEC does (needed for
// nuskybgd's be.arf, whose top edges are rounded to whole keV).
enum class GridCheck { exact, count_only };

// Throws a specnet::Error naming both files when the ARF cannot be used with the RMF.
void check_compatible(const Rmf& rmf, const std::string& rmf_name, const Arf& arf, const std::string& arf_name,
                      GridCheck check = GridCheck::exact);
// Throws when the spectrum's channels (DETCHANS, first channel, table length) differ from the RMF's.
void check_compatible(const Spectrum& spectrum, const std::string& pha_name, const Rmf& rmf,
                      const std::string& rmf_name);

class SparseResponse {
 public:
  // `arf` may be null (responses used without effective area, e.g. nuskybgd's internal background) and
  // `grouping` null (one output per channel). Bad-quality channels/groups are dropped from the outputs.
  static SparseResponse build(const Rmf& rmf, const Arf* arf = nullptr, const Grouping* grouping = nullptr,
                              GridCheck check = GridCheck::exact);

  // out (O) = counts/s per channel or group; photons (E) = photons cm^-2 s^-1 per energy bin. Overwrites out.
  void fold_into(double* out_counts_rate, const double* photons_per_energy_bin) const;
  void fold_into(std::vector<double>& out_counts_rate, const std::vector<double>& photons_per_energy_bin) const;
  // Backward of fold_into: d_photons (E) += M^T d_out (O). Accumulates, like every backward in specnet.
  void fold_backward(double* d_photons, const double* d_out) const;

  std::size_t num_energies() const { return energy_lo_kev.size(); }
  std::size_t num_outputs() const { return row_start.size() - 1; }
  std::size_t num_nonzero() const { return value.size(); }

  std::vector<double> energy_lo_kev;        // (E) model grid
  std::vector<double> energy_hi_kev;        // (E)
  std::vector<double> output_e_min_kev;     // (O) nominal energy range of each output channel or group
  std::vector<double> output_e_max_kev;     // (O)
  std::vector<std::int64_t> row_start;      // (O+1) entries of output o: [row_start[o], row_start[o+1])
  std::vector<std::int32_t> energy_index;   // (nnz) ascending within each output
  std::vector<double> value;                // (nnz) RMF * ARF in cm^2 (or probability without ARF)
};

}  // namespace specnet::io
