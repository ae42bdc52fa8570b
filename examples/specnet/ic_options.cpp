// Option parsing shared by the IC-search commands: dataset sizes / ranges / seed and the pipeline's CV,
// training, fitting and network settings.
#include "ic_options.h"

#include <cstdio>
#include <sstream>

#include "specnet/error.h"

namespace specnet::cli {

std::pair<double, double> parse_range(const std::string& key, const std::string& text) {
  const auto c = text.find(':');
  SPECNET_CHECK(c != std::string::npos, "option --", key, ": '", text, "' must look like lo:hi");
  std::size_t u1 = 0, u2 = 0;
  double lo = 0, hi = 0;
  try {
    lo = std::stod(text.substr(0, c), &u1);
    hi = std::stod(text.substr(c + 1), &u2);
  } catch (...) { u1 = 0; }
  SPECNET_CHECK(u1 == c && u1 > 0 && u2 == text.size() - c - 1 && std::isfinite(lo) && std::isfinite(hi) && lo < hi,
                "option --", key, ": '", text, "' must be lo:hi with finite numbers lo < hi");
  return {lo, hi};
}

std::map<std::string, std::string> dataset_option_table(const ic::IcDatasetSizes& n) {
  const ic::IcRanges r;
  auto rng = [](double a, double b) {
    std::ostringstream o;
    o << a << ':' << b;
    return o.str();
  };
  return {{"train", std::to_string(n.train) + "|2T training spectra (1T-fitted for the labels)"},
          {"cv-ic", std::to_string(n.cv_ic) + "|1T+IC spectra for the CV thresholds (split into the same folds)"},
          {"test-2t", std::to_string(n.test_2t) + "|2T test spectra"},
          {"test-ic", std::to_string(n.test_ic) + "|1T+IC test spectra"},
          {"seed", "0|random seed"},
          {"exposure", "1e6|exposure (s)"},
          {"kt", rng(r.kt_lo_kev, r.kt_hi_kev) + "|apec kT range (keV)"},
          {"abund", rng(r.abund_lo, r.abund_hi) + "|abundance range (solar)"},
          {"z", rng(r.z_lo, r.z_hi) + "|redshift range"},
          {"norm", rng(r.norm_lo, r.norm_hi) + "|apec norm range"},
          {"ic-norm", rng(r.ic_norm_lo, r.ic_norm_hi) + "|IC power-law norm range (photon index 2)"}};
}

void read_dataset_options(const Options& opt, ic::IcDatasetSizes& n, ic::IcSimulationOptions& s) {
  n.train = opt.integer("train");
  n.cv_ic = opt.integer("cv-ic");
  n.test_2t = opt.integer("test-2t");
  n.test_ic = opt.integer("test-ic");
  s.seed = static_cast<std::uint64_t>(opt.integer("seed"));
  s.exposure_s = opt.num("exposure");
  std::tie(s.ranges.kt_lo_kev, s.ranges.kt_hi_kev) = parse_range("kt", opt.str("kt"));
  std::tie(s.ranges.abund_lo, s.ranges.abund_hi) = parse_range("abund", opt.str("abund"));
  std::tie(s.ranges.z_lo, s.ranges.z_hi) = parse_range("z", opt.str("z"));
  std::tie(s.ranges.norm_lo, s.ranges.norm_hi) = parse_range("norm", opt.str("norm"));
  std::tie(s.ranges.ic_norm_lo, s.ranges.ic_norm_hi) = parse_range("ic-norm", opt.str("ic-norm"));
}

std::map<std::string, std::string> pipeline_option_table(const ic::PipelineOptions& p) {
  auto list = [](const std::vector<std::int64_t>& v) {
    std::string s;
    for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
  };
  std::ostringstream lr;
  lr << p.lr;
  return {{"data", p.data_dir + "|dataset directory (from `specnet dataset ic`)"},
          {"out", p.out_dir + "|report directory (checkpoints in <out>/checkpoints)"},
          {"folds", std::to_string(p.folds) + "|cross-validation folds (>= 3)"},
          {"cv-epochs", std::to_string(p.cv_epochs) + "|epochs per CV fold (0: threshold from the held-out fold, no CV)"},
          {"epochs", std::to_string(p.epochs) + "|epochs of the final models"},
          {"batch", std::to_string(p.batch) + "|batch size"},
          {"lr", lr.str() + "|Adam learning rate"},
          {"patience", std::to_string(p.patience) + "|ReduceLROnPlateau patience (epochs)"},
          {"seed", std::to_string(p.seed) + "|seed of folds, initialisation and shuffling"},
          {"log-input", std::string(p.log_input ? "1" : "0") + "|feed log10(1 + counts) / 5 instead of counts/s/keV"},
          {"channels", list(p.channels) + "|CAE channel widths (stem, then each residual block)"},
          {"hidden", list(p.hidden) + "|CAE hidden widths (two)"},
          {"no-ae", "0|skip the ordinary AE"},
          {"no-fits", "0|skip the fitting baseline and the combined detector"},
          {"fit-limit", std::to_string(p.fit_limit) + "|test spectra of each class fitted (-1: all)"},
          {"calib-limit", std::to_string(p.calib_limit) + "|held-out spectra of each class fitted to calibrate the combined detector (-1: all)"},
          {"z-scan-steps", std::to_string(p.z_free_scan_steps) + "|frozen-z grid points before each z-free fit"},
          {"fresh", "0|ignore existing checkpoints (default: resume finished and interrupted trainings)"},
          {"memory-budget-mb", "0|memory for the spectra, MiB: files beyond it are streamed from disk (0: SPECNET_MEMORY_BUDGET_MB or 512)"},
          {"device", std::string(device_name(p.device)) + "|where the networks train: cpu or cuda"}};
}

void read_pipeline_options(const Options& opt, ic::PipelineOptions& p) {
  p.data_dir = opt.str("data");
  p.out_dir = opt.str("out");
  SPECNET_CHECK(!p.data_dir.empty() && !p.out_dir.empty(), "--data and --out are required");
  p.folds = static_cast<int>(opt.integer("folds"));
  p.cv_epochs = opt.integer("cv-epochs");
  p.epochs = opt.integer("epochs");
  p.batch = opt.integer("batch");
  p.lr = opt.num("lr");
  p.patience = opt.integer("patience");
  p.seed = static_cast<std::uint64_t>(opt.integer("seed"));
  p.log_input = opt.flag("log-input");
  p.channels = opt.int_list("channels");
  p.hidden = opt.int_list("hidden");
  p.run_ae = !opt.flag("no-ae");
  p.run_fits = !opt.flag("no-fits");
  p.fit_limit = opt.integer("fit-limit");
  p.calib_limit = opt.integer("calib-limit");
  p.z_free_scan_steps = static_cast<int>(opt.integer("z-scan-steps"));
  p.resume = !opt.flag("fresh");
  p.memory_budget_mb = opt.integer("memory-budget-mb");
  p.device = opt.device();
}

void print_ic_summary(const ic::IcResults& r, const std::string& dir) {
  std::printf("\n%s\n", ic::metrics_table(ic::detector_metrics(r)).c_str());
  std::printf("paper (Table 1): CAE 0.69/0.50/0.64, AE 0.64/0.25/0.55, fitting z fixed 0.54/0.62/0.55, "
              "z free 0.47/0.42/0.47 (precision/recall/BAcc)\n");
  std::printf("report: %s/summary.md (metrics.json, scores.csv, *.svg)\n", dir.c_str());
}

}  // namespace specnet::cli
