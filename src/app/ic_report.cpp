// The IC-search report: per-detector metrics (the paper's Table 1 plus ROC AUC and average precision),
// metrics.json, summary.md, per-spectrum scores.csv and SVG plots; results.csv lets `specnet ic report` re-render.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "specnet/error.h"
#include "specnet/ic/io_util.h"
#include "specnet/ic/pipeline.h"
#include "specnet/ic/svg_plot.h"

namespace specnet::ic {
namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// A detector as (score, prediction) per row; rows where it is not defined are skipped.
struct Detector {
  std::string name, key;
  std::function<double(const TestRow&)> score;     // higher = more IC-like, NaN = undefined
  std::function<int(const TestRow&)> predict;      // 0/1, -1 = undefined
  double threshold = NAN;
};

std::vector<Detector> detectors(const IcResults& r) {
  std::vector<Detector> d;
  auto thr = [&](const char* k) { return r.thresholds.count(k) ? r.thresholds.at(k) : NAN; };
  const double tc = thr("cae"), ta = thr("ae"), tb = thr("combined");
  d.push_back({"CAE", "cae", [](const TestRow& x) { return x.ra_cae; },
               [tc](const TestRow& x) { return std::isnan(x.ra_cae) ? -1 : int(x.ra_cae > tc); }, tc});
  if (!std::isnan(ta))
    d.push_back({"AE", "ae", [](const TestRow& x) { return x.ra_ae; },
                 [ta](const TestRow& x) { return std::isnan(x.ra_ae) ? -1 : int(x.ra_ae > ta); }, ta});
  d.push_back({"fitting (z fixed)", "fit_z_fixed", [](const TestRow& x) { return -x.dc_fixed; },
               [](const TestRow& x) { return x.prefers_ic_fixed; }, NAN});
  d.push_back({"fitting (z free)", "fit_z_free", [](const TestRow& x) { return -x.dc_free; },
               [](const TestRow& x) { return x.prefers_ic_free; }, NAN});
  if (!std::isnan(tb))
    d.push_back({"combined (CAE Ra + fit delta C)", "combined", [](const TestRow& x) { return x.combined; },
                 [tb](const TestRow& x) { return std::isnan(x.combined) ? -1 : int(x.combined > tb); }, tb});
  // The CAE on exactly the fitted spectra, when the fits cover only part of the test set.
  std::int64_t fitted = 0;
  for (const auto& x : r.rows) fitted += x.prefers_ic_fixed >= 0;
  if (fitted > 0 && fitted < std::int64_t(r.rows.size()))
    d.push_back({"CAE (fitted subset)", "cae_fitted_subset",
                 [](const TestRow& x) { return x.prefers_ic_fixed >= 0 ? x.ra_cae : NAN; },
                 [tc](const TestRow& x) { return x.prefers_ic_fixed >= 0 ? int(x.ra_cae > tc) : -1; }, tc});
  return d;
}

DetectorMetrics evaluate(const Detector& det, const std::vector<TestRow>& rows) {
  DetectorMetrics m;
  m.name = det.name;
  m.threshold = det.threshold;
  std::vector<int> pred, lab, slab;
  std::vector<double> score;
  for (const auto& x : rows) {
    const int p = det.predict(x);
    if (p < 0) continue;
    pred.push_back(p);
    lab.push_back(x.label);
    const double s = det.score(x);
    if (std::isfinite(s)) score.push_back(s), slab.push_back(x.label);
  }
  m.n = std::int64_t(pred.size());
  if (pred.empty()) return m;
  m.confusion = confusion(pred, lab);
  const std::int64_t pos = std::count(slab.begin(), slab.end(), 1);
  if (pos > 0 && pos < std::int64_t(slab.size())) {
    m.auc = roc_auc(score, slab);
    m.ap = average_precision(score, slab);
  }
  return m;
}

std::string csv_row(const TestRow& x) {
  std::ostringstream o;
  o.precision(17);
  o << x.label << ',' << x.truth.z << ',' << x.truth.abund << ',' << x.truth.kt1_kev << ',' << x.truth.norm1 << ','
    << x.truth.kt2_kev << ',' << x.truth.norm2 << ',' << x.truth.ic_norm << ',' << x.ra_cae << ',' << x.ra_ae << ','
    << x.p_value;
  for (double v : x.latent) o << ',' << v;
  o << ',' << x.dc_fixed << ',' << x.prefers_ic_fixed << ',' << x.dc_free << ',' << x.prefers_ic_free << ','
    << x.combined << '\n';
  return o.str();
}
constexpr const char* kCsvHeader =
    "label,z,abund,kt1_kev,norm1,kt2_kev,norm2,ic_norm,ra_cae,ra_ae,p_value,latent_z,latent_kt,latent_abund,"
    "latent_norm,dc_z_fixed,prefers_ic_z_fixed,dc_z_free,prefers_ic_z_free,combined_prob\n";

std::vector<double> split_numbers(const std::string& line, const std::string& what) {
  std::vector<double> v;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, ',')) {
    char* end = nullptr;
    const double x = std::strtod(f.c_str(), &end);
    SPECNET_CHECK(!f.empty() && end && *end == '\0', "read_ic_results: ", what, ": \"", f, "\" is not a number");
    v.push_back(x);
  }
  return v;
}

// Truth value used on the x-axis of the performance plots.
struct TruthAxis {
  const char* key;
  const char* label;
  std::function<double(const TestRow&)> value;
  bool log;
};
std::vector<TruthAxis> truth_axes() {
  return {{"kT", "kT of the first apec component (keV)", [](const TestRow& x) { return x.truth.kt1_kev; }, false},
          {"Z", "abundance Z (solar)", [](const TestRow& x) { return x.truth.abund; }, false},
          {"z", "redshift z", [](const TestRow& x) { return x.truth.z; }, false},
          {"norm", "total apec norm", [](const TestRow& x) { return x.truth.norm1 + x.truth.norm2; }, true}};
}

void write_plots(const IcResults& r, const std::string& dir, const std::vector<Detector>& dets) {
  std::vector<double> ra2, ra1, ae2, ae1, p2, p1;
  for (const auto& x : r.rows) {
    (x.label ? ra1 : ra2).push_back(x.ra_cae);
    (x.label ? ae1 : ae2).push_back(x.ra_ae);
    (x.label ? p1 : p2).push_back(x.p_value);
  }
  auto ra_hist = [&](const std::vector<double>& a, const std::vector<double>& b, double thr, const std::string& name,
                     const std::string& file) {
    double lo = INFINITY, hi = 0;
    for (const auto* v : {&a, &b})
      for (double s : *v)
        if (s > 0 && std::isfinite(s)) lo = std::min(lo, s), hi = std::max(hi, s);
    if (!(hi > lo)) return;
    Plot p;
    p.title = name + " anomaly score Ra on the test set";
    p.x_label = "Ra (per-spectrum MSE)";
    p.y_label = "fraction of spectra";
    p.log_x = true;
    p.series.push_back(histogram("2T", a, 40, lo, hi * 1.0001, true, true));
    p.series.push_back(histogram("1T+IC", b, 40, lo, hi * 1.0001, true, true));
    if (std::isfinite(thr)) {
      double top = 0;
      for (const auto& s : p.series) for (double y : s.y) top = std::max(top, y);
      p.series.push_back({"threshold", {thr, thr}, {0, top}, Series::Style::line, "black", true});
    }
    p.save(dir + "/" + file);
  };
  ra_hist(ra2, ra1, r.thresholds.count("cae") ? r.thresholds.at("cae") : NAN, "CAE", "ra_hist_cae.svg");
  if (r.thresholds.count("ae")) ra_hist(ae2, ae1, r.thresholds.at("ae"), "AE", "ra_hist_ae.svg");

  Plot pr;
  pr.title = "Precision-recall on the test set";
  pr.x_label = "recall";
  pr.y_label = "precision";
  pr.x_min = 0, pr.x_max = 1, pr.y_min = 0, pr.y_max = 1.02;
  for (const auto& det : dets) {
    std::vector<double> s;
    std::vector<int> y;
    for (const auto& x : r.rows)
      if (std::isfinite(det.score(x))) s.push_back(det.score(x)), y.push_back(x.label);
    const std::int64_t pos = std::count(y.begin(), y.end(), 1);
    if (pos == 0 || pos == std::int64_t(y.size())) continue;
    Series ser;
    ser.label = det.name;
    for (const auto& c : pr_curve(s, y)) ser.x.push_back(c.recall), ser.y.push_back(c.precision);
    pr.series.push_back(ser);
    const DetectorMetrics m = evaluate(det, r.rows);
    pr.series.push_back({"", {m.confusion.recall()}, {m.confusion.precision()}, Series::Style::scatter,
                         "", false});
  }
  pr.series.push_back({"chance (precision 0.5)", {0, 1}, {0.5, 0.5}, Series::Style::line, "#777", true});
  pr.save(dir + "/pr_curves.svg");

  const char* names[4] = {"z", "kT", "Z", "norm"};
  std::function<double(const TestRow&)> truth_of[4] = {
      [](const TestRow& x) { return x.truth.z; }, [](const TestRow& x) { return x.truth.kt1_kev; },
      [](const TestRow& x) { return x.truth.abund; }, [](const TestRow& x) { return x.truth.norm1 + x.truth.norm2; }};
  for (int j = 0; j < 4 && r.scaler_lo.size() == 4; ++j) {
    Plot p;
    p.title = std::string("CAE latent unit ") + names[j] + " vs the generating value (scaled)";
    p.x_label = std::string("true ") + names[j] + " scaled with the training label scaler";
    p.y_label = std::string("latent ") + names[j];
    Series a{"2T", {}, {}, Series::Style::scatter, "#1f77b4", false}, b{"1T+IC", {}, {}, Series::Style::scatter, "#d62728", false};
    for (const auto& x : r.rows) {
      const double t = (truth_of[j](x) - r.scaler_lo[j]) / (r.scaler_hi[j] - r.scaler_lo[j]);
      (x.label ? b : a).x.push_back(t);
      (x.label ? b : a).y.push_back(x.latent[j]);
    }
    p.series = {a, b, {"identity", {0, 1}, {0, 1}, Series::Style::line, "black", true}};
    p.save(dir + "/latent_" + names[j] + ".svg");
  }

  for (const auto& ax : truth_axes()) {
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& x : r.rows) lo = std::min(lo, ax.value(x)), hi = std::max(hi, ax.value(x));
    if (!(hi > lo)) continue;
    const int nb = 5;
    Plot p;
    p.title = std::string("Balanced accuracy vs ") + ax.key;
    p.x_label = ax.label;
    p.y_label = "BAcc in the bin";
    p.log_x = ax.log;
    p.y_min = 0, p.y_max = 1;
    for (const auto& det : dets) {
      Series s;
      s.label = det.name;
      for (int k = 0; k < nb; ++k) {
        const double a = ax.log ? lo * std::pow(hi / lo, double(k) / nb) : lo + (hi - lo) * k / nb;
        const double b = ax.log ? lo * std::pow(hi / lo, double(k + 1) / nb) : lo + (hi - lo) * (k + 1) / nb;
        std::vector<TestRow> in;
        for (const auto& x : r.rows)
          if (ax.value(x) >= a && (ax.value(x) < b || k == nb - 1)) in.push_back(x);
        const DetectorMetrics m = evaluate(det, in);
        s.x.push_back(ax.log ? std::sqrt(a * b) : 0.5 * (a + b));
        s.y.push_back(m.n > 0 && m.confusion.tp + m.confusion.fn > 0 && m.confusion.tn + m.confusion.fp > 0
                          ? m.confusion.bacc() : NAN);
      }
      p.series.push_back(s);
    }
    p.series.push_back({"chance", {lo, hi}, {0.5, 0.5}, Series::Style::line, "#777", true});
    p.save(dir + "/bacc_vs_" + std::string(ax.key) + ".svg");
  }

  Plot pv;
  pv.title = "p-values of the CAE Ra against the held-out 2T null distribution";
  pv.x_label = "p-value";
  pv.y_label = "fraction of spectra";
  pv.series = {histogram("2T", p2, 20, 0, 1, false, true), histogram("1T+IC", p1, 20, 0, 1, false, true)};
  pv.save(dir + "/p_values.svg");
}

}  // namespace

std::vector<DetectorMetrics> detector_metrics(const IcResults& r) {
  std::vector<DetectorMetrics> out;
  for (const auto& d : detectors(r)) {
    DetectorMetrics m = evaluate(d, r.rows);
    if (m.n > 0) out.push_back(m);
  }
  return out;
}

std::string metrics_table(const std::vector<DetectorMetrics>& ms) {
  std::string t = "| model | precision | recall | BAcc | ROC AUC | avg. precision | TP | FN | FP | TN | threshold | spectra |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& m : ms) {
    const auto& c = m.confusion;
    t += "| " + m.name + " | " + fmt("%.3f", c.precision()) + " | " + fmt("%.3f", c.recall()) + " | " +
         fmt("%.3f", c.bacc()) + " | " + (std::isnan(m.auc) ? "-" : fmt("%.3f", m.auc)) + " | " +
         (std::isnan(m.ap) ? "-" : fmt("%.3f", m.ap)) + " | " + std::to_string(c.tp) + " | " + std::to_string(c.fn) +
         " | " + std::to_string(c.fp) + " | " + std::to_string(c.tn) + " | " +
         (std::isnan(m.threshold) ? "-" : fmt("%.4g", m.threshold)) + " | " + std::to_string(m.n) + " |\n";
  }
  return t;
}

void write_ic_report(const IcResults& r, const std::string& dir) {
  std::filesystem::create_directories(dir);
  const auto dets = detectors(r);
  const auto ms = detector_metrics(r);
  // scores.csv
  std::string csv = kCsvHeader;
  for (const auto& x : r.rows) csv += csv_row(x);
  write_text_file(dir + "/scores.csv", csv);
  // results.csv: thresholds, CV thresholds, figures, scaler, notes (one "kind,key,value" per line).
  std::ostringstream rs;
  rs.precision(17);
  for (const auto& [k, v] : r.thresholds) rs << "threshold," << k << ',' << v << '\n';
  for (const auto& [k, v] : r.cv_thresholds) {
    if (v.empty()) continue;
    rs << "cv_thresholds," << k;
    for (double x : v) rs << ',' << x;
    rs << '\n';
  }
  for (const auto& [k, v] : r.figures) rs << "figure," << k << ',' << v << '\n';
  for (std::size_t j = 0; j < r.scaler_lo.size(); ++j) rs << "scaler," << j << ',' << r.scaler_lo[j] << ',' << r.scaler_hi[j] << '\n';
  for (const auto& [k, v] : r.notes) rs << "note," << k << ',' << v << '\n';
  write_text_file(dir + "/results.csv", rs.str());
  // metrics.json
  std::ostringstream js;
  js << "{\n  \"detectors\": {\n";
  for (std::size_t i = 0; i < ms.size(); ++i) {
    const auto& m = ms[i];
    const auto& c = m.confusion;
    js << "    \"" << m.name << "\": {\"precision\": " << json_number(c.precision()) << ", \"recall\": "
       << json_number(c.recall()) << ", \"bacc\": " << json_number(c.bacc()) << ", \"roc_auc\": " << json_number(m.auc)
       << ", \"average_precision\": " << json_number(m.ap) << ", \"threshold\": " << json_number(m.threshold)
       << ", \"spectra\": " << m.n << ", \"confusion\": {\"tp\": " << c.tp << ", \"fn\": " << c.fn << ", \"fp\": "
       << c.fp << ", \"tn\": " << c.tn << "}}" << (i + 1 < ms.size() ? "," : "") << "\n";
  }
  js << "  },\n  \"cv_thresholds\": {";
  bool first = true;
  for (const auto& [k, v] : r.cv_thresholds) {
    js << (first ? "" : ", ") << "\"" << k << "\": [";
    for (std::size_t i = 0; i < v.size(); ++i) js << (i ? ", " : "") << json_number(v[i]);
    js << "]";
    first = false;
  }
  js << "},\n  \"figures\": {";
  first = true;
  for (const auto& [k, v] : r.figures) js << (first ? "" : ", ") << "\"" << k << "\": " << json_number(v), first = false;
  js << "},\n  \"paper\": {\"CAE\": [0.69, 0.50, 0.64], \"AE\": [0.64, 0.25, 0.55], \"fitting (z fixed)\": [0.54, 0.62, 0.55], "
        "\"fitting (z free)\": [0.47, 0.42, 0.47], \"columns\": [\"precision\", \"recall\", \"bacc\"]}\n}\n";
  write_text_file(dir + "/metrics.json", js.str());
  write_plots(r, dir, dets);
  // summary.md
  std::ostringstream md;
  auto fig = [&](const char* k) { return r.figures.count(k) ? r.figures.at(k) : NAN; };
  md << "# IC search report\n\n"
     << "Test set: " << r.rows.size() << " spectra (" << std::count_if(r.rows.begin(), r.rows.end(), [](auto& x) { return x.label == 1; })
     << " 1T+IC). Training: " << fig("n_train") << " 2T spectra, " << fig("folds") << " CV folds, " << fig("cv_epochs")
     << " CV epochs, " << fig("epochs") << " final epochs, batch " << fig("batch") << ", " << fig("bins") << " input bins.\n\n"
     << metrics_table(ms) << "\n"
     << "Paper (Table 1): CAE 0.69 / 0.50 / 0.64, AE 0.64 / 0.25 / 0.55, fitting z fixed 0.54 / 0.62 / 0.55, "
        "fitting z free 0.47 / 0.42 / 0.47 (precision / recall / BAcc).\n\n"
     << "Positive class = 1T+IC. CAE / AE flag Ra > threshold (median of the per-fold BAcc-maximising thresholds); "
        "fitting prefers the model whose C/dof is closer to 1; the combined detector is a logistic regression on "
        "log10 Ra and the signed log of -delta C fitted on held-out training data (never the test set).\n\n";
  for (const auto& [k, v] : r.cv_thresholds) {
    md << "CV thresholds (" << k << "):";
    for (double x : v) md << " " << fmt("%.4g", x);
    md << "\n\n";
  }
  md << "## Wall times (s)\n\n| stage | seconds |\n|---|---|\n";
  for (const auto& [k, v] : r.figures)
    if (k.size() > 2 && k.compare(k.size() - 2, 2, "_s") == 0) md << "| " << k << " | " << fmt("%.1f", v) << " |\n";
  md << "\nTraining throughput: CAE " << fmt("%.0f", fig("cae_spectra_per_sec")) << " spectra/s, AE "
     << fmt("%.0f", fig("ae_spectra_per_sec")) << " spectra/s on " << fig("threads") << " threads.\n\n";
  for (const auto& [k, v] : r.notes) md << "- " << k << ": " << v << "\n";
  md << "\n## Plots\n\n";
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".svg") md << "- ![" << e.path().stem().string() << "](" << e.path().filename().string() << ")\n";
  write_text_file(dir + "/summary.md", md.str());
}

IcResults read_ic_results(const std::string& dir) {
  IcResults r;
  std::ifstream sc(dir + "/scores.csv");
  SPECNET_CHECK(sc.good(), "read_ic_results: cannot open ", dir, "/scores.csv");
  std::string line;
  std::getline(sc, line);
  SPECNET_CHECK(line + "\n" == kCsvHeader, "read_ic_results: ", dir, "/scores.csv has an unexpected header");
  while (std::getline(sc, line)) {
    const auto v = split_numbers(line, "scores.csv");
    SPECNET_CHECK(v.size() == 20, "read_ic_results: scores.csv row has ", v.size(), " fields, expected 20");
    TestRow x;
    x.label = int(v[0]);
    x.truth = {v[1], v[2], v[3], v[4], v[5], v[6], v[7]};
    x.ra_cae = v[8], x.ra_ae = v[9], x.p_value = v[10];
    for (int j = 0; j < 4; ++j) x.latent[j] = v[11 + j];
    x.dc_fixed = v[15], x.prefers_ic_fixed = int(v[16]), x.dc_free = v[17], x.prefers_ic_free = int(v[18]);
    x.combined = v[19];
    r.rows.push_back(x);
  }
  std::ifstream rs(dir + "/results.csv");
  SPECNET_CHECK(rs.good(), "read_ic_results: cannot open ", dir, "/results.csv");
  while (std::getline(rs, line)) {
    const auto c1 = line.find(','), c2 = c1 == std::string::npos ? c1 : line.find(',', c1 + 1);
    SPECNET_CHECK(c2 != std::string::npos, "read_ic_results: malformed results.csv line \"", line, "\"");
    const std::string kind = line.substr(0, c1), key = line.substr(c1 + 1, c2 - c1 - 1), rest = line.substr(c2 + 1);
    if (kind == "note") { r.notes[key] = rest; continue; }
    const auto v = split_numbers(rest, "results.csv");
    SPECNET_CHECK(!v.empty(), "read_ic_results: empty value in \"", line, "\"");
    if (kind == "threshold") r.thresholds[key] = v[0];
    else if (kind == "cv_thresholds") r.cv_thresholds[key] = v;
    else if (kind == "figure") r.figures[key] = v[0];
    else if (kind == "scaler" && v.size() == 2) r.scaler_lo.push_back(v[0]), r.scaler_hi.push_back(v[1]);
    else SPECNET_CHECK(false, "read_ic_results: unknown line \"", line, "\"");
  }
  return r;
}

}  // namespace specnet::ic
