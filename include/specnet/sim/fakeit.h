// Forward simulation of observed spectra, as XSPEC's `fakeit`: model -> response -> expected counts (+ scaled
// background) -> Poisson counts, for one spectrum (PHA Type I + background PHA) or a PHA Type II dataset.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "specnet/io/pha.h"
#include "specnet/io/response.h"
#include "specnet/sim/composite_model.h"
#include "specnet/sim/instrument.h"

namespace specnet::sim {

// Everything fixed across the spectra of one simulation.
struct FakeitSetup {
  InstrumentResponse response;
  io::SparseResponse matrix;             // response.matrix(), built once
  double exposure_s = 1e4;               // source EXPOSURE
  double areascal = 1;                   // source AREASCAL
  double backscal = 1;                   // source BACKSCAL
  std::vector<double> background_rate;   // (H) counts/s in the background region, or empty for none
  double background_exposure_s = 1e4;
  double background_backscal = 1;
};

// Builds a setup; Errors for exposure <= 0 or NaN, non-positive scales, or a background of the wrong length.
FakeitSetup make_fakeit_setup(InstrumentResponse response, double exposure_s, std::vector<double> background_rate = {},
                              double backscal = 1, double background_backscal = 1,
                              double background_exposure_s = 0 /* 0: same as the source */);

// Expected source-region counts (H): exposure * areascal * (folded model rate + background rate * backscal ratio).
// photons (E) are photons cm^-2 s^-1 per model energy bin.
void expected_counts(const FakeitSetup& setup, const double* photons, double* out_counts);

// One simulated source spectrum from its own Philox stream (seed, stream): identical for any thread count.
std::vector<double> fake_counts(const FakeitSetup& setup, const double* photons, std::uint64_t seed,
                                std::uint64_t stream);
// A background spectrum: Poisson(background_rate * background_exposure_s) on a stream reserved for it.
std::vector<double> fake_background_counts(const FakeitSetup& setup, std::uint64_t seed);

// PHA Type I spectra with the setup's keywords (TELESCOP/INSTRUME from the response, EXPOSURE, BACKSCAL ...).
io::Spectrum make_source_pha(const FakeitSetup& setup, const std::vector<double>& counts, const std::string& backfile);
io::Spectrum make_background_pha(const FakeitSetup& setup, const std::vector<double>& counts);

// A prior for one parameter: uniform on [lo, hi], or log-uniform (lo > 0).
struct Prior {
  std::string name;
  double lo = 0, hi = 1;
  bool log = false;
  double sample(double u) const;  // u in (0, 1]
};
// "name=lo:hi[:log|:lin],name2=..."; Error for malformed entries, NaN, lo >= hi, log with lo <= 0.
std::vector<Prior> parse_priors(const std::string& spec);
// Index in model.params() of the parameter each prior draws; Error for a prior on a linked parameter or one
// whose range leaves the parameter's hard limits.
std::vector<std::int64_t> prior_param_indices(const CompositeModel& model, const std::vector<Prior>& priors);
// "name=value,name2=value2"; Error for malformed entries or non-numbers.
std::vector<std::pair<std::string, double>> parse_param_values(const std::string& spec);

struct DatasetOptions {
  std::int64_t count = 1000;   // spectra to simulate
  std::uint64_t seed = 0;
  std::int64_t chunk = 64;     // spectra per parallel_for chunk (fixed: results never depend on threads)
  bool progress = true;        // "spectra done, rate, ETA" lines on stderr
  // Memory budget (MiB) of simulate_dataset; 0: default_memory_budget_mb() (SPECNET_MEMORY_BUDGET_MB or 512).
  // Spectra are simulated and written in blocks that fit half of it, so memory does not grow with count; the
  // PARAMS table (8 bytes per parameter per spectrum) is kept until close and must fit the budget too.
  std::int64_t memory_budget_mb = 0;
};

// FITS column name of a model parameter in the PARAMS table: characters other than letters, digits and '_'
// become '_' ("bremss_2.kT" -> "bremss_2_kT"), as fitsverify asks of TTYPE names.
std::string dataset_column_name(const std::string& param_name);

// Simulates options.count spectra of `model` (fixed parameters as set on it) with the parameters named in
// `priors` drawn per spectrum, and writes them as a PHA Type II file with a PARAMS table (one column per
// parameter of the model, in model order, named by dataset_column_name). With a background, writes one background realisation to
// `background_path` (PHA Type I) and names it in BACKFILE. Spectrum i draws its parameters from Philox stream
// (seed, 2i + 1) and its counts from (seed, 2i), so fake_counts(setup, photons, seed, 2i) reproduces it.
void simulate_dataset(const FakeitSetup& setup, const CompositeModel& model, const std::vector<Prior>& priors,
                      const DatasetOptions& options, const std::string& path, const std::string& background_path = "");

// The same simulation in memory, spectra [first, first + n): counts (n, H) and parameters (n, P).
void simulate_block(const FakeitSetup& setup, const CompositeModel& model, const std::vector<Prior>& priors,
                    std::uint64_t seed, std::int64_t first, std::int64_t n, double* counts, double* params);

}  // namespace specnet::sim
