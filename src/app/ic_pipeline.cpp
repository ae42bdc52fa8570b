// The IC-search pipeline: CV thresholds (train on k-2 folds, best epoch on the next, BAcc threshold on the
// held-out fold, median over folds, as paper 000 Sec. 4.1), final CAE / AE, fitting baseline, combined detector.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "specnet/context.h"
#include "specnet/cuda/runtime.h"
#include "specnet/error.h"
#include "specnet/fit/model_compare.h"
#include "specnet/ic/logistic.h"
#include "specnet/ic/pipeline.h"
#include "specnet/ic/train.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/nustar_background.h"
#include "specnet/sim/resources.h"

namespace specnet::ic {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<std::int64_t> rows_where(const std::vector<int>& fold, const std::function<bool(int)>& keep) {
  std::vector<std::int64_t> r;
  for (std::size_t i = 0; i < fold.size(); ++i)
    if (keep(fold[i])) r.push_back(std::int64_t(i));
  return r;
}

struct Data {
  IcSpectraSource train, cv_ic, test;  // metadata in memory, counts in memory or streamed (memory budget)
  ModelData train_d, cv_ic_d, test_d;
  LabelScaler scaler;
  double checksum = 0;  // of the training inputs and labels, for the checkpoint fingerprints
};

// A checksum of the network inputs and labels: every 97th input value of the (N, bins) matrix, weighted, plus the
// labels, summed in row order (one pass in blocks, so that streamed data need not be held).
double data_checksum(const ModelData& d) {
  double sum = 0;
  const std::int64_t N = d.size(), block = 256;
  std::vector<std::int64_t> rows;
  std::vector<float> x;
  for (std::int64_t r0 = 0; r0 < N; r0 += block) {
    const std::int64_t n = std::min(block, N - r0);
    rows.resize(std::size_t(n));
    for (std::int64_t i = 0; i < n; ++i) rows[i] = r0 + i;
    x.resize(std::size_t(n * d.bins));
    d.inputs(rows.data(), n, x.data());
    const std::size_t base = std::size_t(r0 * d.bins);
    for (std::size_t i = (97 - base % 97) % 97; i < x.size(); i += 97) sum += x[i] * double(1 + (base + i) % 13);
  }
  for (float v : d.labels) sum += v;
  return sum;
}

// Everything one network type (CAE or AE) contributes.
struct NetOutcome {
  std::vector<double> cv_thresholds;
  double threshold = NAN;
  std::vector<double> test_ra, test_latent, hold_2t_ra, hold_ic_ra;
  double spectra_per_s = 0;
};

// What a checkpoint must match to be resumed: sizes, settings and a checksum of the data.
std::string fingerprint(const Data& d, const PipelineOptions& o, double weight, std::size_t n_train, std::size_t n_val) {
  const double sum = d.checksum;
  std::string ch, hid;
  for (auto c : o.channels) ch += std::to_string(c) + ".";
  for (auto h : o.hidden) hid += std::to_string(h) + ".";
  char buf[256];
  std::snprintf(buf, sizeof buf, "n%zu/%zu bins%lld w%g batch%lld lr%g pat%lld log%d ch%s hid%s sum%.9g", n_train, n_val,
                (long long)d.train_d.bins, weight, (long long)o.batch, o.lr, (long long)o.patience, int(o.log_input),
                ch.c_str(), hid.c_str(), sum);
  return buf;
}

nn::IcCaeConfig net_config(const PipelineOptions& o, std::int64_t bins) {
  nn::IcCaeConfig c;
  c.n_bins = bins;
  c.channels = o.channels;
  c.hidden = o.hidden;
  return c;
}

NetOutcome run_network(const std::string& name, double weight, const Data& d, const std::vector<int>& fold_2t,
                       const std::vector<int>& fold_ic, const PipelineOptions& o, IcResults& res) {
  NetOutcome out;
  const int K = o.folds;
  const std::string ckdir = o.out_dir + "/checkpoints";
  auto train_one = [&](const std::string& tag, std::int64_t epochs, const std::vector<std::int64_t>& tr,
                       const std::vector<std::int64_t>& va, std::uint64_t seed) {
    Rng init(seed, 7);
    auto net = std::make_unique<nn::IcCae>(net_config(o, d.train_d.bins), init);
    TrainOptions t;
    t.constraint_weight = weight;
    t.batch = o.batch;
    t.epochs = epochs;
    t.lr = o.lr;
    t.patience = o.patience;
    t.seed = seed;
    t.checkpoint = ckdir + "/" + tag + ".ckpt";
    t.resume = o.resume;
    t.tag = tag;
    t.fingerprint = fingerprint(d, o, weight, tr.size(), va.size());
    t.device = o.device;
    const TrainResult r = train_ic_model(*net, d.train_d, tr, va, t);
    out.spectra_per_s = std::max(out.spectra_per_s, r.spectra_per_s);
    std::printf("%s: best epoch %lld (val loss %.4e), %.1f s, %.0f training spectra/s\n", tag.c_str(),
                (long long)r.best_epoch, r.best_val_loss, r.train_s, r.spectra_per_s);
    return net;
  };
  // Cross-validation thresholds.
  const auto tcv = Clock::now();
  if (o.cv_epochs > 0)
    for (int k = 0; k < K; ++k) {
      const int val_fold = (k + 1) % K;
      const auto tr = rows_where(fold_2t, [&](int f) { return f != k && f != val_fold; });
      const auto va = rows_where(fold_2t, [&](int f) { return f == val_fold; });
      auto net = train_one(name + "_cv" + std::to_string(k), o.cv_epochs, tr, va, o.seed * 1000 + 100 + k);
      const auto normal = anomaly_scores(*net, d.train_d, rows_where(fold_2t, [&](int f) { return f == k; }));
      const auto anomal = anomaly_scores(*net, d.cv_ic_d, rows_where(fold_ic, [&](int f) { return f == k; }));
      std::vector<double> s(normal);
      s.insert(s.end(), anomal.begin(), anomal.end());
      std::vector<int> y(normal.size(), 0);
      y.resize(s.size(), 1);
      const ThresholdChoice c = best_bacc_threshold(s, y);
      out.cv_thresholds.push_back(c.threshold);
      std::printf("%s fold %d/%d: threshold Ra %.4e (BAcc %.3f on the held-out fold)\n", name.c_str(), k + 1, K,
                  c.threshold, c.bacc);
    }
  res.figures[name + "_cv_s"] = since(tcv);
  // Final model: every fold but the last for training, the last for the epoch choice (and as the 2T null sample).
  const auto tfin = Clock::now();
  const auto tr = rows_where(fold_2t, [&](int f) { return f != K - 1; });
  const auto hold = rows_where(fold_2t, [&](int f) { return f == K - 1; });
  auto net = train_one(name + "_final", o.epochs, tr, hold, o.seed * 1000 + 1);
  out.test_ra = anomaly_scores(*net, d.test_d, all_rows(d.test.size()), &out.test_latent);
  out.hold_2t_ra = anomaly_scores(*net, d.train_d, hold);
  out.hold_ic_ra = anomaly_scores(*net, d.cv_ic_d, rows_where(fold_ic, [&](int f) { return f == K - 1; }));
  res.figures[name + "_final_s"] = since(tfin);
  if (!out.cv_thresholds.empty()) {
    out.threshold = median(out.cv_thresholds);
  } else {  // no CV: the BAcc threshold on the held-out fold of the final model
    std::vector<double> s(out.hold_2t_ra);
    s.insert(s.end(), out.hold_ic_ra.begin(), out.hold_ic_ra.end());
    std::vector<int> y(out.hold_2t_ra.size(), 0);
    y.resize(s.size(), 1);
    out.threshold = best_bacc_threshold(s, y).threshold;
  }
  res.figures[name + "_spectra_per_sec"] = out.spectra_per_s;
  std::printf("%s: threshold Ra = %.4e (%s)\n", name.c_str(), out.threshold,
              out.cv_thresholds.empty() ? "held-out fold, no CV" : "median over CV folds");
  return out;
}

struct FitSetup {
  std::shared_ptr<const io::SparseResponse> matrix;
  fit::SpectrumOptions spectrum;
  std::int64_t H = 0;
};

FitSetup make_fit_setup() {
  FitSetup f;
  const sim::InstrumentResponse resp = sim::builtin_response("nustar");
  f.matrix = std::make_shared<const io::SparseResponse>(resp.matrix());
  f.H = std::int64_t(f.matrix->num_outputs());
  f.spectrum.e_min_kev = 3;
  f.spectrum.e_max_kev = 80;
  f.spectrum.min_counts = 100;  // as the paper's grouping
  fit::add_nustar_background(f.spectrum, sim::nustar_background(resp, sim::NustarRegion{}), 0.1);
  return f;
}

// 2T vs 1T+IC comparison of spectra `rows` of `s` (in parallel, one spectrum per chunk); z fixed at the truth
// or free (started mid-range with a frozen-z scan over the whole range).
void compare_fits(const FitSetup& f, const IcSpectraSource& src, const std::vector<std::int64_t>& rows, bool z_free,
                  const PipelineOptions& o, const IcRanges& ranges, std::vector<double>& dc, std::vector<int>& pref,
                  const char* tag) {
  dc.assign(rows.size(), NAN);
  pref.assign(rows.size(), -1);
  const auto t0 = Clock::now();
  std::int64_t done = 0;
  const std::int64_t chunk = 16, C = src.counts.width();
  const IcSpectra& s = src.meta;
  std::vector<float> block(std::size_t(chunk * C));  // (chunk, C) counts of the chunk's spectra
  for (std::size_t c0 = 0; c0 < rows.size(); c0 += chunk) {
    const std::size_t c1 = std::min(rows.size(), c0 + chunk);
    src.counts.gather(rows.data() + c0, std::int64_t(c1 - c0), block.data());
    parallel_for(std::int64_t(c1 - c0), 1, [&](std::int64_t b0, std::int64_t b1) {
      std::vector<double> counts(f.H);
      for (std::int64_t j = b0; j < b1; ++j) {
        const std::int64_t i = rows[c0 + j];
        full_channel_counts(s, block.data() + j * C, counts);
        fit::ClusterSetup cs;
        cs.nh_1e22 = ranges.nh_1e22;
        cs.photon_index = ranges.photon_index;
        cs.fit_redshift = z_free;
        cs.redshift = z_free ? 0.5 * (ranges.z_lo + ranges.z_hi) : s.truth[i].z;
        cs.redshift_scan_halfwidth = 0.5 * (ranges.z_hi - ranges.z_lo);
        cs.redshift_scan_steps = o.z_free_scan_steps;
        fit::FitOptions fo;
        fo.errors = false;
        try {
          const auto c = fit::compare_2t_vs_ic(f.matrix, counts, s.exposure_s, f.spectrum, cs, fo);
          dc[c0 + j] = c.delta_c;
          pref[c0 + j] = c.prefers_ic ? 1 : 0;
        } catch (const Error& e) {
          std::fprintf(stderr, "  %s: spectrum %lld not fitted: %s\n", tag, (long long)i, e.what());
        }
      }
    });
    done += std::int64_t(c1 - c0);
    const double el = since(t0);
    std::fprintf(stderr, "  %s: fitted %lld/%zu, %.2f spectra/s, ETA %.0f s\n", tag, (long long)done, rows.size(),
                 done / el, el / done * double(rows.size() - done));
  }
}

// The first `limit` rows of each class of `labels` (all for limit < 0).
std::vector<std::int64_t> per_class_subset(const std::vector<int>& labels, std::int64_t limit) {
  std::vector<std::int64_t> out;
  std::int64_t taken[2] = {0, 0};
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (limit < 0 || taken[labels[i]] < limit) out.push_back(std::int64_t(i)), ++taken[labels[i]];
  return out;
}

}  // namespace

std::vector<double> combined_features(double ra_cae, double dc_fixed) {
  SPECNET_CHECK(ra_cae > 0 && std::isfinite(dc_fixed), "combined_features: needs Ra > 0 and a finite delta C, got ",
                ra_cae, " and ", dc_fixed);
  return {std::log10(ra_cae), std::copysign(std::log1p(std::fabs(dc_fixed)), -dc_fixed)};
}

IcResults run_ic_pipeline(const PipelineOptions& o) {
  SPECNET_CHECK(o.folds >= 3, "IC pipeline: needs at least 3 folds (train, epoch choice, threshold), got ", o.folds);
  SPECNET_CHECK(o.epochs >= 1 && o.cv_epochs >= 0 && o.batch >= 1 && o.lr > 0, "IC pipeline: needs epochs >= 1, ",
                "cv-epochs >= 0, batch >= 1 and lr > 0");
  cuda::require_usable(o.device, "IC pipeline");
  IcResults res;
  const auto t_all = Clock::now();
  auto t = Clock::now();
  Data d;
  // One memory budget for the three files: each is held in memory if it fits what the ones before left.
  std::uint64_t budget = io::training_budget_bytes(o.memory_budget_mb);
  auto open = [&](const char* name) {
    IcSpectraSource s = open_ic_spectra(o.data_dir + "/" + name, budget);
    const std::uint64_t bytes = std::uint64_t(s.size()) * std::uint64_t(s.meta.num_channels) * 4;
    if (!s.counts.streamed()) budget -= std::min(budget, bytes);
    std::printf("IC pipeline: %s: %.1f MiB of counts %s\n", name, double(bytes) / (1 << 20),
                s.counts.streamed() ? "streamed from disk (over the memory budget)" : "in memory");
    return s;
  };
  d.train = open("train.bin");
  d.cv_ic = open("cv_ic.bin");
  d.test = open("test.bin");
  SPECNET_CHECK(d.train.size() >= o.folds && d.cv_ic.size() >= o.folds, "IC pipeline: needs at least ", o.folds,
                " training and CV 1T+IC spectra, got ", d.train.size(), " and ", d.cv_ic.size());
  SPECNET_CHECK(d.train.meta.num_channels == d.test.meta.num_channels &&
                    d.train.meta.num_channels == d.cv_ic.meta.num_channels,
                "IC pipeline: the data files hold different channel ranges");
  for (auto k : d.train.meta.kind)
    SPECNET_CHECK(k == SpectrumKind::two_temperature, "IC pipeline: train.bin must hold only 2T spectra");
  for (auto k : d.cv_ic.meta.kind)
    SPECNET_CHECK(k == SpectrumKind::thermal_plus_ic, "IC pipeline: cv_ic.bin must hold only 1T+IC spectra");
  std::filesystem::create_directories(o.out_dir + "/checkpoints");
  const std::int64_t bins = network_bins(d.train.meta.num_channels);
  d.scaler = fit_label_scaler(d.train.meta);
  d.train_d = make_model_data(d.train, bins, o.log_input, &d.scaler);
  d.cv_ic_d = make_model_data(d.cv_ic, bins, o.log_input, nullptr);
  d.test_d = make_model_data(d.test, bins, o.log_input, nullptr);
  d.checksum = data_checksum(d.train_d);
  res.scaler_lo = d.scaler.lo;
  res.scaler_hi = d.scaler.hi;
  res.figures["load_s"] = since(t);
  res.figures["n_train"] = double(d.train.size());
  res.figures["n_cv_ic"] = double(d.cv_ic.size());
  res.figures["n_test"] = double(d.test.size());
  res.figures["bins"] = double(bins);
  res.figures["folds"] = o.folds;
  res.figures["cv_epochs"] = double(o.cv_epochs);
  res.figures["epochs"] = double(o.epochs);
  res.figures["batch"] = double(o.batch);
  res.figures["threads"] = num_threads();
  res.notes["device"] = device_name(o.device);
  res.notes["input"] = o.log_input ? "log10(1 + counts) / 5" : "counts/s/keV (linear, as the paper)";
  const double e_lo = 1.6 + 0.04 * double(d.train.meta.first_channel);
  res.notes["bins"] = std::to_string(bins) + " channels from " + std::to_string(e_lo).substr(0, 4) + " keV";
  std::printf("IC pipeline: %lld 2T training, %lld 1T+IC CV, %lld test spectra; %lld bins; %d folds; %d threads\n",
              (long long)d.train.size(), (long long)d.cv_ic.size(), (long long)d.test.size(), (long long)bins, o.folds,
              num_threads());

  const auto fold_2t = cv_folds(d.train.size(), o.folds, o.seed);
  const auto fold_ic = cv_folds(d.cv_ic.size(), o.folds, o.seed + 1);
  res.rows.resize(std::size_t(d.test.size()));
  std::vector<int> labels(res.rows.size());
  for (std::size_t i = 0; i < res.rows.size(); ++i) {
    res.rows[i].label = labels[i] = d.test.meta.kind[i] == SpectrumKind::thermal_plus_ic;
    res.rows[i].truth = d.test.meta.truth[i];
  }
  const NetOutcome cae = run_network("cae", 0.1, d, fold_2t, fold_ic, o, res);
  res.thresholds["cae"] = cae.threshold;
  res.cv_thresholds["cae"] = cae.cv_thresholds;
  // Latent health: a GELU latent pushed below its minimum (x < -0.75) by the L1 constraint gets stuck at 0.
  int dead = 0;
  const char* unit_names[4] = {"z", "kT", "Z", "norm"};
  for (int j = 0; j < 4; ++j) {
    double m = 0, m2 = 0;
    const double n = double(res.rows.size());
    for (std::size_t i = 0; i < res.rows.size(); ++i) m += cae.test_latent[i * 4 + j] / n;
    for (std::size_t i = 0; i < res.rows.size(); ++i) m2 += std::pow(cae.test_latent[i * 4 + j] - m, 2) / n;
    res.figures[std::string("cae_latent_std_") + unit_names[j]] = std::sqrt(m2);
    dead += std::sqrt(m2) < 1e-6;
  }
  if (dead > 0) {
    res.notes["warning"] = std::to_string(dead) + " of 4 CAE latent units are constant on the test set (collapsed GELU "
                           "latent); try a smaller --lr";
    std::printf("warning: %s\n", res.notes["warning"].c_str());
  }
  const auto p = empirical_p_values(cae.test_ra, cae.hold_2t_ra);
  for (std::size_t i = 0; i < res.rows.size(); ++i) {
    res.rows[i].ra_cae = cae.test_ra[i];
    res.rows[i].p_value = p[i];
    for (int j = 0; j < 4; ++j) res.rows[i].latent[j] = cae.test_latent[i * 4 + j];
  }
  if (o.run_ae) {
    const NetOutcome ae = run_network("ae", 0.0, d, fold_2t, fold_ic, o, res);
    res.thresholds["ae"] = ae.threshold;
    res.cv_thresholds["ae"] = ae.cv_thresholds;
    for (std::size_t i = 0; i < res.rows.size(); ++i) res.rows[i].ra_ae = ae.test_ra[i];
  }
  if (o.run_fits) {
    t = Clock::now();
    const FitSetup f = make_fit_setup();
    const IcRanges ranges;
    const auto subset = per_class_subset(labels, o.fit_limit);
    std::vector<double> dc;
    std::vector<int> pref;
    compare_fits(f, d.test, subset, false, o, ranges, dc, pref, "fit z fixed");
    for (std::size_t j = 0; j < subset.size(); ++j)
      res.rows[subset[j]].dc_fixed = dc[j], res.rows[subset[j]].prefers_ic_fixed = pref[j];
    res.figures["fit_fixed_s"] = since(t);
    t = Clock::now();
    compare_fits(f, d.test, subset, true, o, ranges, dc, pref, "fit z free");
    for (std::size_t j = 0; j < subset.size(); ++j)
      res.rows[subset[j]].dc_free = dc[j], res.rows[subset[j]].prefers_ic_free = pref[j];
    res.figures["fit_free_s"] = since(t);
    res.figures["n_fitted"] = double(subset.size());

    // Combined detector, calibrated on the held-out fold (2T) and the matching 1T+IC fold: never the test set.
    t = Clock::now();
    const auto hold_2t = rows_where(fold_2t, [&](int fo) { return fo == o.folds - 1; });
    const auto hold_ic = rows_where(fold_ic, [&](int fo) { return fo == o.folds - 1; });
    const std::int64_t n2 = o.calib_limit < 0 ? std::int64_t(hold_2t.size()) : std::min<std::int64_t>(o.calib_limit, hold_2t.size());
    const std::int64_t n1 = o.calib_limit < 0 ? std::int64_t(hold_ic.size()) : std::min<std::int64_t>(o.calib_limit, hold_ic.size());
    std::vector<double> dc2, dc1;
    std::vector<int> pref2, pref1;
    compare_fits(f, d.train, {hold_2t.begin(), hold_2t.begin() + n2}, false, o, ranges, dc2, pref2, "calibration fits 2T");
    compare_fits(f, d.cv_ic, {hold_ic.begin(), hold_ic.begin() + n1}, false, o, ranges, dc1, pref1, "calibration fits 1T+IC");
    std::vector<double> feats;
    std::vector<int> y;
    for (std::int64_t j = 0; j < n2; ++j)
      if (std::isfinite(dc2[j])) {
        for (double v : combined_features(cae.hold_2t_ra[j], dc2[j])) feats.push_back(v);
        y.push_back(0);
      }
    for (std::int64_t j = 0; j < n1; ++j)
      if (std::isfinite(dc1[j])) {
        for (double v : combined_features(cae.hold_ic_ra[j], dc1[j])) feats.push_back(v);
        y.push_back(1);
      }
    LogisticCalibrator cal;
    cal.fit(feats, 2, y);
    const auto prob_cal = cal.predict(feats);
    res.thresholds["combined"] = best_bacc_threshold(prob_cal, y).threshold;
    res.figures["n_calibration"] = double(y.size());
    res.figures["combined_w_log_ra"] = cal.weights()[0];
    res.figures["combined_w_dc"] = cal.weights()[1];
    for (auto& r : res.rows)
      if (std::isfinite(r.dc_fixed)) r.combined = cal.predict(combined_features(r.ra_cae, r.dc_fixed))[0];
    res.figures["combined_s"] = since(t);
  }
  res.figures["total_s"] = since(t_all);
  res.figures["peak_rss_mb"] = sim::peak_rss_mb();
  res.figures["streamed_files"] = d.train.counts.streamed() + d.cv_ic.counts.streamed() + d.test.counts.streamed();
  std::printf("stage wall times:");
  for (const char* k : {"load_s", "cae_cv_s", "cae_final_s", "ae_cv_s", "ae_final_s", "fit_fixed_s", "fit_free_s",
                        "combined_s", "total_s"})
    if (res.figures.count(k)) std::printf(" %s %.1f", k, res.figures[k]);
  std::printf("\npeak memory (RSS): %.1f MiB\n", res.figures["peak_rss_mb"]);
  write_ic_report(res, o.out_dir);
  return res;
}

}  // namespace specnet::ic
