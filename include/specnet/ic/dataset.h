// The IC-search dataset (paper 000, Sec. 2): simulated 1 Ms NuSTAR FPMA spectra of tbabs*(apec+apec) (2T) and
// tbabs*(apec+powerlaw) (1T+IC) clusters with the four nuskybgd background components, in a compact binary file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "specnet/io/record_source.h"

namespace specnet::ic {

// Generating ranges (uniform draws) and fixed values, as the paper.
struct IcRanges {
  double kt_lo_kev = 1, kt_hi_kev = 10;
  double abund_lo = 0.1, abund_hi = 1;
  double z_lo = 0.01, z_hi = 0.1;
  double norm_lo = 0.01, norm_hi = 1;
  double ic_norm_lo = 2e-4, ic_norm_hi = 2e-3;  // powerlaw norm (photons/keV/cm^2/s at 1 keV)
  double photon_index = 2;
  double nh_1e22 = 0.00858;                      // 8.58e19 cm^-2
};

enum class SpectrumKind : std::int32_t { two_temperature = 0, thermal_plus_ic = 1 };

// True parameters of one spectrum; kt2/norm2 are 0 for 1T+IC, ic_norm 0 for 2T.
struct IcTruth {
  double z = 0, abund = 0, kt1_kev = 0, norm1 = 0, kt2_kev = 0, norm2 = 0, ic_norm = 0;
};

// A set of spectra in memory. counts (N, C): Poisson counts of channels [first_channel, first_channel + C) of the
// 4096-channel NuSTAR PI grid (E = 1.6 + 0.04 PI keV), source + background region, float32 (exact integers).
struct IcSpectra {
  std::int64_t first_channel = 0, num_channels = 0;
  double exposure_s = 0;
  std::vector<SpectrumKind> kind;  // (N)
  std::vector<IcTruth> truth;      // (N)
  std::vector<double> fit_kt_kev;  // (N) 1T fit (tbabs*apec, z and Z frozen at truth), NaN when not fitted
  std::vector<double> fit_norm;    // (N)
  std::vector<float> counts;       // (N, C)
  std::int64_t size() const { return static_cast<std::int64_t>(kind.size()); }
  const float* spectrum(std::int64_t i) const { return counts.data() + i * num_channels; }
};

struct IcSplitOptions {
  std::int64_t count_2t = 0, count_ic = 0;  // 2T spectra first, then 1T+IC
  bool fit_labels = false;                  // 1T fit of every 2T spectrum (training labels)
};

struct IcSimulationOptions {
  IcRanges ranges;
  double exposure_s = 1e6;
  double e_min_kev = 3, e_max_kev = 80;  // stored channels: nominal [E_lo, E_hi) inside this range
  std::uint64_t seed = 0;
  std::int64_t chunk = 128;  // spectra simulated, fitted and written per block
  bool progress = true;      // "k/n spectra, rate, ETA" on stderr
};

// Simulates one split and streams it to `path` (written to a temporary file, renamed when complete). The split
// index keeps splits disjoint: split s draws spectrum i from Philox streams of seed (options.seed, s, kind).
// Errors for bad ranges, counts < 0, exposure <= 0 or an energy range outside the response.
void write_ic_split(const std::string& path, const IcSplitOptions& split, std::uint64_t split_index,
                    const IcSimulationOptions& options);
// The same spectra in memory (what write_ic_split streams).
IcSpectra simulate_ic_split(const IcSplitOptions& split, std::uint64_t split_index, const IcSimulationOptions& options);

// The pipeline's dataset directory: train.bin (train 2T spectra with 1T label fits, split 0), cv_ic.bin (cv_ic
// 1T+IC spectra for the CV thresholds, split 1), test.bin (test_2t 2T then test_ic 1T+IC, split 2). Prints the
// wall time of each file.
struct IcDatasetSizes {
  std::int64_t train = 10000, cv_ic = 10000, test_2t = 1000, test_ic = 1000;
};
void write_ic_dataset(const std::string& dir, const IcDatasetSizes& sizes, const IcSimulationOptions& options);

void write_ic_spectra(const std::string& path, const IcSpectra& spectra);  // atomic
// Errors for a missing or truncated file, a bad magic or version, or impossible sizes.
IcSpectra read_ic_spectra(const std::string& path);

// An IC spectra file opened under a memory budget (training, scoring, fits): the per-spectrum metadata in memory
// (meta.counts stays empty), the counts (N, C) in memory when they fit budget_bytes, else read from disk per batch.
struct IcSpectraSource {
  IcSpectra meta;
  io::RecordSource counts;  // (N, C) float32
  std::int64_t size() const { return meta.size(); }
};
// Errors as read_ic_spectra.
IcSpectraSource open_ic_spectra(const std::string& path, std::uint64_t budget_bytes);
// Spectra built in memory as a source (the counts move into an in-memory RecordSource).
IcSpectraSource to_source(IcSpectra spectra);

// Training labels in the order of the public iccae labels: (z, kT, Z, norm); kT and norm from the 1T fit.
constexpr int kNumLabels = 4;
std::vector<double> raw_labels(const IcSpectra& s, std::int64_t i);  // (4); Error when the 1T fit is missing

// Counts of spectrum i on the full H-channel grid (zeros outside the stored channels), as the fitter takes them.
void full_channel_counts(const IcSpectra& s, std::int64_t i, std::vector<double>& out_counts);
// The same for a counts row (C) of the channel range of `header` (e.g. gathered from an IcSpectraSource).
void full_channel_counts(const IcSpectra& header, const float* counts, std::vector<double>& out_counts);

// Min-max scaling of each label to [0, 1] over a reference set (the training spectra).
struct LabelScaler {
  std::vector<double> lo, hi;  // (4)
  void fit(const std::vector<double>& labels, std::int64_t n);  // labels (n, 4); Error for NaN or n < 2
  std::vector<double> transform(const std::vector<double>& labels) const;  // (n, 4) -> (n, 4)
  std::vector<double> inverse(const std::vector<double>& scaled) const;
};
// A scaler fitted on raw_labels of every spectrum of s.
LabelScaler fit_label_scaler(const IcSpectra& s);

// Network input of spectrum i: the first `bins` stored channels as counts/s/keV (the paper's linear count rate)
// or, with log_input, log10(1 + counts) / 5. out (bins).
void network_input(const IcSpectra& s, std::int64_t i, std::int64_t bins, bool log_input, float* out);
// The same from a counts row (at least `bins` channels) of a spectrum of exposure exposure_s.
void network_input(const float* counts, double exposure_s, std::int64_t bins, bool log_input, float* out);
// Largest multiple of 16 not above num_channels (the CAE decoder doubles a length four times).
std::int64_t network_bins(std::int64_t num_channels);

}  // namespace specnet::ic
