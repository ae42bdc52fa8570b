// The IC-search pipeline of paper 000 end to end: k-fold CV thresholds for the CAE and the ordinary AE, final
// models, the 2T-vs-1T+IC fitting baseline (z fixed / free), a combined detector, p-values and the report.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "specnet/dtype.h"
#include "specnet/ic/dataset.h"
#include "specnet/ic/metrics.h"

namespace specnet::ic {

struct PipelineOptions {
  std::string data_dir;  // train.bin (2T with label fits), cv_ic.bin (1T+IC for the CV thresholds), test.bin
  std::string out_dir;   // report directory; checkpoints in out_dir/checkpoints
  int folds = 10;
  std::int64_t cv_epochs = 300, epochs = 300, batch = 150;
  double lr = 0.01;
  std::int64_t patience = 10;
  std::uint64_t seed = 0;
  bool log_input = false;                         // paper: linear counts/s/keV
  std::vector<std::int64_t> channels{4, 16, 32, 64, 128}, hidden{500, 50};  // reference architecture
  bool run_ae = true, run_fits = true;
  std::int64_t fit_limit = -1;    // test spectra of each class fitted (-1: all)
  std::int64_t calib_limit = -1;  // held-out spectra of each class fitted for the combined detector (-1: all)
  int z_free_scan_steps = 17;     // frozen-z grid points before the z-free fit (steppar)
  bool resume = true;             // reuse finished stages' checkpoints in out_dir/checkpoints
  Device device = Device::cpu;    // where the networks train and score (fits stay on the CPU)
  std::int64_t memory_budget_mb = 0;  // counts held in memory, all files together; beyond it files are streamed
                                      // (0: SPECNET_MEMORY_BUDGET_MB or 512)
};

// One test spectrum's scores. Fit fields are NaN / -1 when it was not fitted.
struct TestRow {
  int label = 0;  // 1 = 1T+IC
  IcTruth truth;
  double ra_cae = NAN, ra_ae = NAN, p_value = NAN;
  std::array<double, 4> latent{NAN, NAN, NAN, NAN};  // CAE latent (z, kT, Z, norm order, scaled)
  double dc_fixed = NAN, dc_free = NAN;  // C(1T+IC) - C(2T)
  int prefers_ic_fixed = -1, prefers_ic_free = -1;
  double combined = NAN;  // P(1T+IC) of the combined detector
};

struct IcResults {
  std::vector<TestRow> rows;
  std::map<std::string, double> thresholds;  // "cae", "ae", "combined"
  std::map<std::string, std::vector<double>> cv_thresholds;  // per fold, "cae" / "ae"
  std::map<std::string, double> figures;     // wall times (s), spectra/s, sizes, epochs ...
  std::vector<double> scaler_lo, scaler_hi;  // label scaling (z, kT, Z, norm)
  std::map<std::string, std::string> notes;  // configuration text
};

// Runs everything, writes the report (write_ic_report) and returns the results. Prints stage wall times.
IcResults run_ic_pipeline(const PipelineOptions& options);

// The combined detector's features of a row: log10 Ra (CAE) and the signed log of -delta C (z fixed).
std::vector<double> combined_features(double ra_cae, double dc_fixed);

// One detector's test metrics.
struct DetectorMetrics {
  std::string name;
  Confusion confusion;
  double auc = NAN, ap = NAN, threshold = NAN;
  std::int64_t n = 0;
};
std::vector<DetectorMetrics> detector_metrics(const IcResults& r);

// Report directory: metrics.json, summary.md, scores.csv, results.csv (thresholds and figures) and SVG plots.
void write_ic_report(const IcResults& r, const std::string& dir);
// Re-reads scores.csv and results.csv of a report directory (to re-render it).
IcResults read_ic_results(const std::string& dir);
// The Markdown table like the paper's Table 1 (precision / recall / BAcc, plus AUC and confusion counts).
std::string metrics_table(const std::vector<DetectorMetrics>& m);

}  // namespace specnet::ic
