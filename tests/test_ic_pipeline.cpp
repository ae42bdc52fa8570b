// Tests of the IC-search data path and models: label scaling, dataset simulation / file round trip and bad files,
// SVG plots, a tiny CAE that separates an easy anomaly class (a strong power law), and the report round trip.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "ic_test_util.h"
#include "specnet/error.h"
#include "specnet/ic/dataset.h"
#include "specnet/ic/metrics.h"
#include "specnet/ic/pipeline.h"
#include "specnet/ic/svg_plot.h"
#include "specnet/ic/train.h"

using namespace specnet;
using namespace specnet::ic;

namespace {
std::filesystem::path temp_dir(const char* name) { return test::fresh_temp_dir(name); }

IcSimulationOptions quick_options(std::uint64_t seed) {
  IcSimulationOptions o;
  o.seed = seed;
  o.progress = false;
  return o;
}
}  // namespace

TEST_CASE("ic labels: min-max scaling to [0, 1] in the public label order (z, kT, Z, norm)") {
  LabelScaler s;
  // rows: (z, kT, Z, norm)
  const std::vector<double> raw = {0.01, 1.0, 0.1, 0.02, 0.1, 10.0, 1.0, 1.8, 0.055, 4.0, 0.4, 0.5};
  s.fit(raw, 3);
  const auto t = s.transform(raw);
  CHECK(t[0] == doctest::Approx(0.0));
  CHECK(t[4] == doctest::Approx(1.0));
  CHECK(t[8] == doctest::Approx(0.5));          // z = 0.055 halfway
  CHECK(t[9] == doctest::Approx(3.0 / 9.0));    // kT 4 in [1, 10]
  CHECK(t[11] == doctest::Approx(0.48 / 1.78)); // norm 0.5 in [0.02, 1.8]
  for (double v : t) CHECK((v >= 0 && v <= 1));
  const auto back = s.inverse(t);
  for (std::size_t i = 0; i < raw.size(); ++i) CHECK(back[i] == doctest::Approx(raw[i]));
  CHECK_THROWS_WITH(s.fit({1, 2, 3, 4}, 1), doctest::Contains("needs >= 2 rows"));
  CHECK_THROWS_WITH(LabelScaler().transform(raw), doctest::Contains("before fit"));
  std::vector<double> bad(raw);
  bad[5] = std::nan("");
  CHECK_THROWS_WITH(s.fit(bad, 3), doctest::Contains("not finite"));
}

TEST_CASE("ic dataset: simulated 2T / 1T+IC spectra, 1T label fits, file round trip and bad files") {
  IcSimulationOptions o = quick_options(5);
  const IcSpectra s = simulate_ic_split({3, 2, true}, 0, o);
  REQUIRE(s.size() == 5);
  CHECK(s.num_channels == 1925);            // 3.00-80.00 keV in 0.04 keV channels
  CHECK(s.first_channel == 35);
  CHECK(network_bins(s.num_channels) == 1920);
  for (std::int64_t i = 0; i < 5; ++i) {
    const bool ic = i >= 3;
    CHECK(s.kind[i] == (ic ? SpectrumKind::thermal_plus_ic : SpectrumKind::two_temperature));
    const IcTruth& t = s.truth[i];
    CHECK((t.kt1_kev >= 1 && t.kt1_kev <= 10 && t.z >= 0.01 && t.z <= 0.1 && t.abund >= 0.1 && t.abund <= 1));
    CHECK((ic ? (t.ic_norm >= 2e-4 && t.ic_norm <= 2e-3 && t.norm2 == 0) : (t.norm2 >= 0.01 && t.ic_norm == 0)));
    double total = 0;
    for (std::int64_t c = 0; c < s.num_channels; ++c) total += s.spectrum(i)[c];
    CHECK(total > 1e4);  // 1 Ms of a bright cluster
    if (!ic) {
      // the 1T fit of a 2T spectrum lands between (or near) the two temperatures, norm near the sum
      CHECK(s.fit_kt_kev[i] > 0.8 * std::min(t.kt1_kev, t.kt2_kev));
      CHECK(s.fit_kt_kev[i] < 1.3 * std::max(t.kt1_kev, t.kt2_kev));
      CHECK(s.fit_norm[i] == doctest::Approx(t.norm1 + t.norm2).epsilon(0.5));
      const auto l = raw_labels(s, i);
      CHECK(l[0] == t.z);
      CHECK(l[1] == s.fit_kt_kev[i]);
      CHECK(l[2] == t.abund);
    } else {
      CHECK(std::isnan(s.fit_kt_kev[i]));
      CHECK_THROWS_WITH(raw_labels(s, i), doctest::Contains("no 1T fit"));
    }
  }
  // same seed: same spectra; another split: different spectra
  const IcSpectra again = simulate_ic_split({3, 0, false}, 0, o);
  CHECK(std::equal(again.counts.begin(), again.counts.end(), s.counts.begin()));
  const IcSpectra other = simulate_ic_split({3, 0, false}, 1, o);
  CHECK(!std::equal(other.counts.begin(), other.counts.end(), s.counts.begin()));

  const auto dir = temp_dir("specnet_test_ic_dataset");
  const std::string path = (dir / "s.bin").string();
  write_ic_spectra(path, s);
  const IcSpectra r = read_ic_spectra(path);
  CHECK(r.size() == 5);
  CHECK(r.counts == s.counts);
  CHECK(r.truth[4].ic_norm == s.truth[4].ic_norm);
  CHECK(r.fit_kt_kev[0] == s.fit_kt_kev[0]);
  // streamed writer == in-memory simulation
  o.chunk = 2;
  write_ic_split((dir / "streamed.bin").string(), {3, 2, true}, 0, o);
  CHECK(read_ic_spectra((dir / "streamed.bin").string()).counts == s.counts);
  // truncated and foreign files
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 7);
  CHECK_THROWS_WITH(read_ic_spectra(path), doctest::Contains("does not match"));
  std::ofstream((dir / "junk.bin").string()) << "not a dataset at all, certainly";
  CHECK_THROWS_WITH(read_ic_spectra((dir / "junk.bin").string()), doctest::Contains("bad magic"));
  CHECK_THROWS_WITH(read_ic_spectra((dir / "missing.bin").string()), doctest::Contains("cannot open"));
  IcSimulationOptions bad = quick_options(0);
  bad.ranges.kt_lo_kev = 20;
  CHECK_THROWS_WITH(simulate_ic_split({1, 0, false}, 0, bad), doctest::Contains("kT range"));
  bad = quick_options(0);
  bad.exposure_s = -1;
  CHECK_THROWS_WITH(simulate_ic_split({1, 0, false}, 0, bad), doctest::Contains("exposure"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("ic svg: plots with axes, ticks, legend and escaped text; histogram counts") {
  Plot p;
  p.title = "Ra <2T> & 1T+IC";
  p.x_label = "Ra";
  p.y_label = "count";
  p.log_x = true;
  p.series.push_back(histogram("2T", {1e-4, 2e-4, 2e-4, 5e-3}, 4, 1e-4, 1e-2, true, false));
  p.series.push_back({"line", {1e-4, 1e-2}, {0, 2}, Series::Style::line, "", true});
  p.series.push_back({"pts", {1e-3, -1.0}, {1, 1}, Series::Style::scatter, "", false});  // x <= 0 skipped on log
  const std::string svg = p.svg();
  CHECK(svg.find("<svg") == 0);
  CHECK(svg.find("Ra &lt;2T&gt; &amp; 1T+IC") != std::string::npos);
  CHECK(svg.find(">1e-04<") != std::string::npos);  // decade ticks
  CHECK(svg.find(">0.01<") != std::string::npos);
  CHECK(svg.find("stroke-dasharray") != std::string::npos);
  CHECK(svg.find(">pts<") != std::string::npos);
  const auto circles = [&] { std::size_t n = 0, at = 0; while ((at = svg.find("<circle", at)) != std::string::npos) ++n, ++at; return n; }();
  CHECK(circles == 1);
  const Series h = p.series[0];
  REQUIRE(h.y.size() == 5);
  // decades [1e-4, 1e-3.5): 1e-4, 2e-4, 2e-4 -> 3; 5e-3 in [1e-2.5, 1e-2) -> bin 3
  CHECK(h.y[0] == 3);
  CHECK(h.y[3] == 1);
  CHECK_THROWS_WITH(histogram("x", {}, 0, 0, 1, false, false), doctest::Contains("bins >= 1"));
  Plot bad;
  bad.series.push_back({"x", {1, 2}, {1}, Series::Style::line, "", false});
  CHECK_THROWS_WITH(bad.svg(), doctest::Contains("has 2 x and 1 y"));
}

namespace {
// A tiny CAE trained on 2T spectra (labels from the truth to skip the 1T fits).
struct TinyRun {
  std::vector<double> ra_normal, ra_anomalous;
};
TinyRun tiny_cae_run(double ic_norm_lo, double ic_norm_hi) {
  IcSimulationOptions o = quick_options(21);
  o.e_max_kev = 30;  // 675 channels: a faster network
  IcSpectra train = simulate_ic_split({128, 0, false}, 0, o);
  for (std::int64_t i = 0; i < train.size(); ++i) {
    train.fit_kt_kev[i] = train.truth[i].kt1_kev;
    train.fit_norm[i] = train.truth[i].norm1 + train.truth[i].norm2;
  }
  o.ranges.ic_norm_lo = ic_norm_lo;
  o.ranges.ic_norm_hi = ic_norm_hi;
  const IcSpectra test = simulate_ic_split({40, 40, false}, 2, o);
  const LabelScaler scaler = fit_label_scaler(train);
  const std::int64_t bins = network_bins(train.num_channels);
  const ModelData d = make_model_data(train, bins, true, &scaler), td = make_model_data(test, bins, true, nullptr);
  nn::IcCaeConfig cfg;
  cfg.n_bins = bins;
  cfg.channels = {4, 8, 12, 16, 24};
  cfg.hidden = {32, 16};
  Rng init(3, 7);
  nn::IcCae net(cfg, init);
  TrainOptions t;
  t.batch = 32;
  t.epochs = 15;
  t.lr = 0.01;
  t.progress = false;
  std::vector<std::int64_t> tr, va;
  for (std::int64_t i = 0; i < train.size(); ++i) (i % 6 == 0 ? va : tr).push_back(i);
  const TrainResult r = train_ic_model(net, d, tr, va, t);
  CHECK(r.history.size() == 15);
  CHECK(r.history.back().val_loss < r.history.front().val_loss);
  const auto ra = anomaly_scores(net, td, all_rows(td.size()));
  TinyRun out;
  out.ra_normal.assign(ra.begin(), ra.begin() + 40);
  out.ra_anomalous.assign(ra.begin() + 40, ra.end());
  return out;
}
}  // namespace

TEST_CASE("ic end to end: a tiny CAE separates a strong power-law anomaly class") {
  const TinyRun run = tiny_cae_run(0.3, 1.0);  // 150-5000x the paper's IC norms: an easy anomaly
  std::vector<double> s(run.ra_normal);
  s.insert(s.end(), run.ra_anomalous.begin(), run.ra_anomalous.end());
  std::vector<int> y(run.ra_normal.size(), 0);
  y.resize(s.size(), 1);
  const double auc = roc_auc(s, y);
  const ThresholdChoice t = best_bacc_threshold(s, y);
  MESSAGE("tiny CAE: ROC AUC ", auc, ", best BAcc ", t.bacc);
  CHECK(auc > 0.9);
  CHECK(t.bacc > 0.85);
}

TEST_CASE("ic report: detector metrics by hand, files written, and the report re-read from its CSVs") {
  IcResults r;
  auto row = [](int label, double ra_cae, double ra_ae, int fit_fixed, double dc, double comb) {
    TestRow x;
    x.label = label;
    x.truth = {0.05, 0.3, 4.0 + label, 0.2, label ? 0.0 : 2.0, label ? 0.0 : 0.1, label ? 1e-3 : 0.0};
    x.ra_cae = ra_cae, x.ra_ae = ra_ae, x.p_value = 0.5;
    x.latent = {0.1, 0.2, 0.3, 0.4};
    x.prefers_ic_fixed = fit_fixed, x.dc_fixed = dc;
    x.prefers_ic_free = fit_fixed, x.dc_free = dc;
    x.combined = comb;
    return x;
  };
  // CAE threshold 0.5: rows flagged 2 (TP), 3 (FP); AE threshold 0.5 flags 0 (FP) and 1 (TP)
  r.rows = {row(0, 0.1, 0.9, 0, 5.0, 0.2), row(1, 0.2, 0.8, 1, -3.0, 0.7), row(1, 0.9, 0.1, 1, -1.0, 0.9),
            row(0, 0.7, 0.2, -1, NAN, NAN)};
  r.thresholds = {{"cae", 0.5}, {"ae", 0.5}, {"combined", 0.6}};
  r.cv_thresholds = {{"cae", {0.4, 0.5, 0.6}}};
  r.figures = {{"n_train", 10}, {"total_s", 1.5}};
  r.scaler_lo = {0, 1, 0.1, 0.01};
  r.scaler_hi = {0.1, 10, 1, 2};
  r.notes = {{"input", "counts/s/keV, linear"}};
  const auto m = detector_metrics(r);
  REQUIRE(m.size() == 6);  // CAE, AE, fit z fixed, fit z free, combined, CAE on the fitted subset
  CHECK(m[0].name == "CAE");
  CHECK(m[0].confusion.tp == 1);
  CHECK(m[0].confusion.fp == 1);
  CHECK(m[0].confusion.bacc() == doctest::Approx(0.5));
  CHECK(m[1].confusion.tp == 1);
  CHECK(m[1].confusion.fp == 1);
  CHECK(m[2].n == 3);  // the unfitted row is left out
  CHECK(m[2].confusion.tp == 2);
  CHECK(m[2].confusion.tn == 1);
  CHECK(m[2].confusion.bacc() == 1.0);
  CHECK(m[4].confusion.tp == 2);  // combined: 0.7, 0.9 > 0.6
  CHECK(m[5].name == "CAE (fitted subset)");
  CHECK(m[5].n == 3);
  CHECK(metrics_table(m).find("| CAE | 0.500 | 0.500 | 0.500 |") != std::string::npos);

  const auto dir = temp_dir("specnet_test_ic_report");
  write_ic_report(r, dir.string());
  for (const char* f : {"metrics.json", "summary.md", "scores.csv", "results.csv", "ra_hist_cae.svg", "pr_curves.svg",
                        "latent_kT.svg", "bacc_vs_kT.svg", "bacc_vs_norm.svg", "p_values.svg"})
    CHECK_MESSAGE(std::filesystem::exists(dir / f), f);
  const IcResults back = read_ic_results(dir.string());
  REQUIRE(back.rows.size() == 4);
  CHECK(back.rows[1].ra_cae == 0.2);
  CHECK(std::isnan(back.rows[3].dc_fixed));
  CHECK(back.rows[3].prefers_ic_fixed == -1);
  CHECK(back.thresholds.at("combined") == 0.6);
  CHECK(back.cv_thresholds.at("cae").size() == 3);
  CHECK(back.notes.at("input") == "counts/s/keV, linear");
  CHECK(metrics_table(detector_metrics(back)) == metrics_table(m));
  std::ofstream(dir / "scores.csv", std::ios::app) << "1,2,3\n";
  CHECK_THROWS_WITH(read_ic_results(dir.string()), doctest::Contains("expected 20"));
  std::filesystem::remove_all(dir);
}
