// Black-hole-binary spectra for the spectral-posterior network (paper 002): NICER tbabs*simplcut(ezdiskbb) with the
// paper's priors, the 240-bin grouping, rates and uncertainties per detector and keV, and a streamed record file.
#pragma once
#include <array>
#include <optional>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "specnet/io/pha.h"
#include "specnet/io/record_source.h"
#include "specnet/sim/composite_model.h"
#include "specnet/sim/fakeit.h"

namespace specnet::bhb {

constexpr std::int64_t kNumParams = 5;  // N_H [1e22 cm^-2], Gamma, f_sc, kT_disk [keV], N (disk norm)
extern const std::array<const char*, kNumParams> kParamNames;    // "N_H", "Gamma", "f_sc", "kT_disk", "N"
extern const std::array<const char*, kNumParams> kModelParams;   // "tbabs_1.nH", ... in the model expression
extern const std::array<bool, kNumParams> kParamLog;             // log10-transformed before z-scoring
constexpr const char* kModelExpression = "tbabs*simplcut(ezdiskbb)";  // ReflFrac 0, kT_e = 100 keV frozen

// NICER grouping of the 10 eV PI channels by 2/3/4/5/6/2 at boundaries 0, 20, 248, 600, 1200, 1494, 1500, keeping the
// groups whose nominal energies lie inside [e_min, e_max] keV (240 groups for 0.3-10 keV).
struct BinGrouping {
  std::vector<std::int64_t> first, end;   // (L) channel index range [first, end) of each group
  std::vector<double> e_lo_kev, e_hi_kev; // (L) nominal group edges
  std::int64_t num_channels = 0;          // H of the response it was built for
  std::int64_t size() const { return static_cast<std::int64_t>(first.size()); }
};
// channel_e_min/max (H): EBOUNDS of the response. Error unless H is 1501 (NICER PI 0-1500) or e_min >= e_max.
BinGrouping nicer_grouping(const std::vector<double>& channel_e_min_kev, const std::vector<double>& channel_e_max_kev,
                           double e_min_kev = 0.3, double e_max_kev = 10.0);

// One spectrum as the network sees it before scaling: rate = (S - r B) / (t n_det) / width and
// sigma = max(sqrt(S), 1) / (t n_det) / width per group, S source counts, B background counts, r = bkg_ratio.
struct GroupedSpectrum {
  std::vector<float> rate, sigma;  // (L) counts s^-1 detector^-1 keV^-1
  double source_counts = 0;        // S summed over the L groups
};
GroupedSpectrum group_spectrum(const BinGrouping& g, const double* source_counts, const double* background_counts,
                               double bkg_ratio, double exposure_s, double n_det);

// The record file (".bhb"): a 64-byte header, then per spectrum: simulation index (int64; -1 for real data),
// parameters (P float64, physical units; NaN when unlabelled), source counts (float64), rate (L float32),
// sigma (L float32). Appended record by record, renamed into place on close (atomic).
struct DatasetHeader {
  std::int64_t bins = 240, params = kNumParams;
  double exposure_s = 1e3, n_det = 52;
  std::uint64_t seed = 0;
  std::int64_t kind = 0;  // 0 synthetic, 1 shifted (stage-3 substitute), 2 real PHA files
};
const char* dataset_kind_name(std::int64_t kind);

class DatasetWriter {
 public:
  DatasetWriter(const std::string& path, const DatasetHeader& header);
  ~DatasetWriter();  // an unclosed writer removes its temporary file
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;
  void append(std::int64_t index, const double* params, const GroupedSpectrum& s);
  void close();
  std::int64_t count() const { return count_; }

 private:
  std::string path_, tmp_;
  DatasetHeader header_;
  void* file_ = nullptr;
  std::int64_t count_ = 0;
};

struct Dataset {
  DatasetHeader header;
  std::vector<std::int64_t> index;      // (N)
  std::vector<double> params;           // (N, P) physical
  std::vector<double> counts;           // (N)
  std::vector<float> rate, sigma;       // (N, L)
  std::int64_t size() const { return static_cast<std::int64_t>(index.size()); }
  Dataset slice(std::int64_t first, std::int64_t end) const;
};
// Error for a missing or truncated file, a bad magic or header.
Dataset read_dataset(const std::string& path);

// A record file opened under a memory budget (training, evaluation): index, parameters and counts of every spectrum
// in memory; the spectra rows (rate then sigma, 2L float32) in memory when the file's fit budget_bytes, else read
// from disk per batch. Spectrum i is row first + i of `spectra` (slices share the rows).
struct DatasetSource {
  DatasetHeader header;
  std::vector<std::int64_t> index;  // (N)
  std::vector<double> params;       // (N, P) physical
  std::vector<double> counts;       // (N)
  io::RecordSource spectra;         // (rows, 2L)
  std::int64_t first = 0;
  std::int64_t size() const { return static_cast<std::int64_t>(index.size()); }
  DatasetSource slice(std::int64_t first, std::int64_t end) const;
  // out (n, 2L): rate and sigma of spectra rows[0..n) of this set.
  void gather(const std::int64_t* rows, std::int64_t n, float* out) const;
};
// Checks as read_dataset (one pass over the file in budget-sized chunks).
DatasetSource open_dataset(const std::string& path, std::uint64_t budget_bytes);
DatasetSource to_source(const Dataset& d);  // in memory

// Everything fixed for one simulated set.
struct Simulation {
  std::int64_t kind = 0;
  sim::FakeitSetup fakeit;                  // response, exposure, background rate in the source region
  sim::CompositeModel model{kModelExpression};
  std::vector<sim::Prior> priors;           // the paper's, in kParamNames order
  BinGrouping grouping;
  std::vector<double> background_counts;    // (H) one background realisation (subtracted from every spectrum)
  double bkg_ratio = 1;                     // source / background exposure
  double n_det = 52;
  std::uint64_t seed = 0;
};
// kind 0: built-in NICER response, exposure 1e3 s, background 0.6 counts/s (0.3-10 keV) with a E^-0.8 shape.
// kind 1 (shifted): effective area times (0.8 + 0.15 log10(E / 1 keV)) and a 1.5 keV feature, background
// 2.5 counts/s with a E^-0.3 shape, exposure 2e3 s. response: "nicer" or "RMF[,ARF]" (must have 1501 channels).
Simulation make_simulation(std::int64_t kind, std::uint64_t seed, const std::string& response = "nicer");

// Streams spectra with >= min_counts source counts in the 240 groups to `path` until `count` are kept. Spectrum i is
// simulate_block(fakeit, model, priors, seed, i, 1): reproducible from its stored index.
struct SimulateOptions {
  std::int64_t count = 100000;
  double min_counts = 1e4;
  std::int64_t block = 256;  // spectra simulated per step
  bool progress = true;      // lines with rate and ETA on stderr
};
void simulate_to_file(const Simulation& s, const SimulateOptions& o, const std::string& path);
// Source channel counts (H) and physical parameters (P) of spectrum `index` of a simulation.
void resimulate(const Simulation& s, std::int64_t index, std::vector<double>& counts, std::array<double, kNumParams>& params);

// A PHA file's COUNTS spectrum with `channels` channels; `what` ("source", "background") names it in the errors:
// an unreadable file, a RATE spectrum, another channel count.
io::Spectrum read_counts_pha(const std::string& path, std::size_t channels, const char* what);

// An observation's files read once: the source PHA and, when background_path is not empty, the background PHA
// (read_counts_pha's checks on both).
struct PhaSpectra {
  io::Spectrum source;
  std::optional<io::Spectrum> background;
};
PhaSpectra read_pha_spectra(const std::string& source_path, const std::string& background_path, std::size_t channels);
// Files read elsewhere (or edited since): both spectra must have the response's `channels` channels (Error otherwise).
void check_pha_channels(const PhaSpectra& files, std::size_t channels);

// A real spectrum: source PHA (+ background PHA) through the grouping, exposure and BACKSCAL from the files.
GroupedSpectrum spectrum_from_pha(const BinGrouping& g, const PhaSpectra& files, double n_det);
GroupedSpectrum spectrum_from_pha(const BinGrouping& g, const std::string& source_path,
                                  const std::string& background_path, double n_det);

// Input scaling of section B: log10 of the rate clamped to the smallest positive rate, min-max scaled over the
// synthetic set; the uncertainty channel is the upward 1-sigma step in that scale, log10(1 + sigma / rate) / range.
// Parameters: log10 of N_H, f_sc, kT_disk, N, then z-scored.
//
// The `shape` scaling (not the paper's; docs/results-bhb.md, fifth session) separates a spectrum's level from its
// shape. The synthetic set spans ~14 decades of rate, so in the paper's scaling the shape of one spectrum (what sets
// Gamma, f_sc, kT_disk) moves by ~1e-3 of the input range at an offset that varies over the whole range. Here, with
// the rate clamped below at its own uncertainty (rr = max(rate, sigma): an empty or background-dominated bin then
// sits at the one-count level instead of the set's smallest rate) and level = the mean of log10 rr over the bins:
//   channel 0  (log10 rr - level) / kShapeDecades        the shape, O(1)
//   channel 1  log10(1 + sigma / rr) / kShapeDecades     its upward 1-sigma step, in the same scale
//   channel 2  (level - level_mean) / level_std          the level, z-scored over the set (constant along the bins)
enum class InputScaling { paper, shape };
struct Scaling {
  static constexpr double kShapeDecades = 2.0;
  InputScaling mode = InputScaling::paper;
  double rate_floor = 0, log_min = 0, log_max = 1;   // paper
  double level_mean = 0, level_std = 1;              // shape
  std::array<double, kNumParams> mean{}, stdev{};
  // Error for an empty set or (paper) one without a positive rate
  static Scaling fit(const Dataset& d, InputScaling mode = InputScaling::paper);
  static Scaling fit(const DatasetSource& d, InputScaling mode = InputScaling::paper);  // the same, in blocks
  std::int64_t channels() const { return mode == InputScaling::paper ? 2 : 3; }  // K: input channels
  // x (n, K, L) and theta (n, P) of spectra [first, first + n); theta may be null.
  void spectra(const Dataset& d, std::int64_t first, std::int64_t n, float* x, float* theta) const;
  // The same for spectra rows[0..n) of a source.
  void spectra(const DatasetSource& d, const std::int64_t* rows, std::int64_t n, float* x, float* theta) const;
  // One spectrum: rate, sigma (L), params (P, or null) -> x (K, L), theta (P).
  void scale_row(std::int64_t L, const float* rate, const float* sigma, const double* params, float* x, float* theta) const;
  double to_scaled(std::int64_t p, double physical) const;
  double to_physical(std::int64_t p, double scaled) const;
  std::map<std::string, std::string> to_strings() const;  // for checkpoint metadata
  static Scaling from_strings(const std::map<std::string, std::string>& m);  // no mode entry: paper
};
InputScaling parse_input_scaling(const std::string& name);  // "paper" or "shape"; Error otherwise
const char* input_scaling_name(InputScaling m);

}  // namespace specnet::bhb
