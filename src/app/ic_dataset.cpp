// The IC-search dataset: 2T and 1T+IC clusters through the built-in NuSTAR FPMA response plus the nuskybgd
// background (as the paper's XSPEC fakeit runs), 1T fits for the training labels, and a compact binary file.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>

#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/fit/fitter.h"
#include "specnet/fit/model_compare.h"
#include "specnet/ic/dataset.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/nustar_background.h"

namespace specnet::ic {
namespace {

constexpr char kMagic[16] = "SPECNET-IC-SPEC";
constexpr std::int32_t kVersion = 1;
constexpr std::int64_t kFitGrain = 2;  // spectra per parallel_for chunk of 1T fits

void check_range(double lo, double hi, const char* what, bool positive) {
  SPECNET_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi && (!positive || lo > 0), "IC dataset: ", what,
                " range [", lo, ", ", hi, "] must be finite with lo < hi", positive ? " and lo > 0" : "");
}

void check_options(const IcSplitOptions& split, const IcSimulationOptions& o) {
  const IcRanges& r = o.ranges;
  check_range(r.kt_lo_kev, r.kt_hi_kev, "kT", true);
  check_range(r.abund_lo, r.abund_hi, "abundance", false);
  check_range(r.z_lo, r.z_hi, "redshift", false);
  check_range(r.norm_lo, r.norm_hi, "norm", true);
  check_range(r.ic_norm_lo, r.ic_norm_hi, "IC norm", true);
  SPECNET_CHECK(r.abund_lo >= 0 && r.z_lo > -1, "IC dataset: abundance must be >= 0 and redshift > -1");
  SPECNET_CHECK(std::isfinite(r.nh_1e22) && r.nh_1e22 >= 0 && std::isfinite(r.photon_index),
                "IC dataset: nH must be >= 0 and the photon index finite");
  SPECNET_CHECK(split.count_2t >= 0 && split.count_ic >= 0, "IC dataset: spectrum counts must be >= 0");
  SPECNET_CHECK(std::isfinite(o.exposure_s) && o.exposure_s > 0, "IC dataset: exposure must be > 0, got ",
                o.exposure_s);
  SPECNET_CHECK(o.chunk > 0, "IC dataset: chunk must be > 0");
  check_range(o.e_min_kev, o.e_max_kev, "energy", true);
}

fit::ClusterSetup cluster_setup(const IcRanges& r) {
  fit::ClusterSetup s;
  s.nh_1e22 = r.nh_1e22;
  s.photon_index = r.photon_index;
  return s;
}

// Shared response, background and fakeit setup (built once per process).
struct Instrument {
  sim::FakeitSetup setup;
  std::shared_ptr<const io::SparseResponse> matrix;
  sim::NustarBackground background;
  std::int64_t first_channel = 0, num_channels = 0;
};

Instrument make_instrument(const IcSimulationOptions& o) {
  Instrument in;
  sim::InstrumentResponse response = sim::builtin_response("nustar");
  in.background = sim::nustar_background(response, sim::NustarRegion{});
  const auto& lo = response.rmf.channel_e_min_kev;
  const auto& hi = response.rmf.channel_e_max_kev;
  std::int64_t first = -1, last = -1;
  for (std::size_t h = 0; h < lo.size(); ++h)
    if (lo[h] >= o.e_min_kev - 1e-9 && hi[h] <= o.e_max_kev + 1e-9) {
      if (first < 0) first = std::int64_t(h);
      last = std::int64_t(h);
    }
  SPECNET_CHECK(first >= 0, "IC dataset: no NuSTAR channel lies inside ", o.e_min_kev, "-", o.e_max_kev, " keV");
  in.first_channel = first;
  in.num_channels = last - first + 1;
  in.setup = sim::make_fakeit_setup(std::move(response), o.exposure_s, in.background.total);
  in.matrix = std::make_shared<const io::SparseResponse>(in.setup.matrix);
  return in;
}

std::uint64_t split_seed(std::uint64_t seed, std::uint64_t split, int kind) {
  return seed ^ (0x9E3779B97F4A7C15ull * (2 * split + std::uint64_t(kind) + 1));
}

// Simulates spectra [first, first + n) of one kind into `out` (appending).
void simulate_kind(const Instrument& in, const IcSimulationOptions& o, SpectrumKind kind, std::uint64_t seed,
                   std::int64_t first, std::int64_t n, IcSpectra& out) {
  const IcRanges& r = o.ranges;
  const fit::ClusterSetup cs = cluster_setup(r);
  const bool two_t = kind == SpectrumKind::two_temperature;
  const sim::CompositeModel model = two_t ? fit::two_temperature_model(cs, 1.0) : fit::thermal_plus_ic_model(cs, 1.0);
  std::vector<sim::Prior> priors = {{"apec_2.Redshift", r.z_lo, r.z_hi, false},
                                    {"apec_2.Abundanc", r.abund_lo, r.abund_hi, false},
                                    {"apec_2.kT", r.kt_lo_kev, r.kt_hi_kev, false},
                                    {"apec_2.norm", r.norm_lo, r.norm_hi, false}};
  if (two_t) {
    priors.push_back({"apec_3.kT", r.kt_lo_kev, r.kt_hi_kev, false});
    priors.push_back({"apec_3.norm", r.norm_lo, r.norm_hi, false});
  } else {
    priors.push_back({"powerlaw_3.norm", r.ic_norm_lo, r.ic_norm_hi, false});
  }
  const std::int64_t H = std::int64_t(in.setup.matrix.num_outputs()), P = model.num_params();
  std::vector<double> counts(n * H), params(n * P);  // (n, H), (n, P)
  sim::simulate_block(in.setup, model, priors, seed, first, n, counts.data(), params.data());
  auto col = [&](const char* name) { return model.param_index(name); };
  for (std::int64_t i = 0; i < n; ++i) {
    const double* p = params.data() + i * P;
    IcTruth t;
    t.z = p[col("apec_2.Redshift")];
    t.abund = p[col("apec_2.Abundanc")];
    t.kt1_kev = p[col("apec_2.kT")];
    t.norm1 = p[col("apec_2.norm")];
    if (two_t) {
      t.kt2_kev = p[col("apec_3.kT")];
      t.norm2 = p[col("apec_3.norm")];
    } else {
      t.ic_norm = p[col("powerlaw_3.norm")];
    }
    out.kind.push_back(kind);
    out.truth.push_back(t);
    out.fit_kt_kev.push_back(std::numeric_limits<double>::quiet_NaN());
    out.fit_norm.push_back(std::numeric_limits<double>::quiet_NaN());
    for (std::int64_t c = 0; c < in.num_channels; ++c)
      out.counts.push_back(static_cast<float>(counts[i * H + in.first_channel + c]));
  }
}

// 1T fit (tbabs*apec; z and Z frozen at their generating values, kT and norm free; background scales free
// within +-10%, C statistic, 3-80 keV grouped to >= 100 counts as the paper's fits) of rows [begin, end).
void fit_labels(const Instrument& in, const IcSimulationOptions& o, IcSpectra& s, std::int64_t begin,
                std::int64_t end) {
  fit::SpectrumOptions so;
  so.e_min_kev = o.e_min_kev;
  so.e_max_kev = o.e_max_kev;
  so.min_counts = 100;
  fit::add_nustar_background(so, in.background, 0.1);
  fit::FitOptions fo;
  fo.errors = false;
  const std::int64_t H = std::int64_t(in.setup.matrix.num_outputs());
  parallel_for(end - begin, kFitGrain, [&](std::int64_t b0, std::int64_t b1) {
    std::vector<double> counts(H);
    for (std::int64_t i = begin + b0; i < begin + b1; ++i) {
      const IcTruth& t = s.truth[i];
      sim::CompositeModel m("tbabs*apec");
      m.set("tbabs_1.nH", o.ranges.nh_1e22);
      m.freeze("tbabs_1.nH");
      m.set("apec_2.Redshift", t.z);
      m.freeze("apec_2.Redshift");
      m.set("apec_2.Abundanc", t.abund);
      m.freeze("apec_2.Abundanc");
      m.set("apec_2.kT", 0.5 * (o.ranges.kt_lo_kev + o.ranges.kt_hi_kev));
      m.set("apec_2.norm", 0.5 * (o.ranges.norm_lo + o.ranges.norm_hi));
      full_channel_counts(s, i, counts);
      try {
        fit::FitProblem problem(m, in.matrix, counts, o.exposure_s, so);
        fit::fit_model(problem, fo);  // leaves problem.model() at the best fit
        s.fit_kt_kev[i] = problem.model().get("apec_2.kT");
        s.fit_norm[i] = problem.model().get("apec_2.norm");
      } catch (const Error&) {
        // left NaN: reported by the caller, and raw_labels refuses it
      }
    }
  });
}

template <typename T> void put(std::ofstream& f, const T& v) { f.write(reinterpret_cast<const char*>(&v), sizeof v); }
template <typename T> void get(std::ifstream& f, T& v, const std::string& path) {
  f.read(reinterpret_cast<char*>(&v), sizeof v);
  SPECNET_CHECK(f.good(), "read_ic_spectra: ", path, " is truncated");
}

void write_header(std::ofstream& f, std::int64_t n, const IcSpectra& s) {
  f.write(kMagic, sizeof kMagic);
  put(f, kVersion);
  put(f, n);
  put(f, s.first_channel);
  put(f, s.num_channels);
  put(f, s.exposure_s);
}

void write_rows(std::ofstream& f, const IcSpectra& s, std::int64_t begin, std::int64_t end) {
  for (std::int64_t i = begin; i < end; ++i) {
    put(f, static_cast<std::int32_t>(s.kind[i]));
    const IcTruth& t = s.truth[i];
    for (double v : {t.z, t.abund, t.kt1_kev, t.norm1, t.kt2_kev, t.norm2, t.ic_norm, s.fit_kt_kev[i], s.fit_norm[i]})
      put(f, v);
    f.write(reinterpret_cast<const char*>(s.spectrum(i)), sizeof(float) * s.num_channels);
  }
}

// Simulates (and optionally fits) the split block by block, handing each finished block to `sink`.
template <typename Sink>
void run_split(const IcSplitOptions& split, std::uint64_t split_index, const IcSimulationOptions& o,
               IcSpectra& s, Sink&& sink) {
  check_options(split, o);
  const Instrument in = make_instrument(o);
  s.first_channel = in.first_channel;
  s.num_channels = in.num_channels;
  s.exposure_s = o.exposure_s;
  const std::int64_t total = split.count_2t + split.count_ic;
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t done = 0, failed = 0;
  for (int k = 0; k < 2; ++k) {
    const SpectrumKind kind = k == 0 ? SpectrumKind::two_temperature : SpectrumKind::thermal_plus_ic;
    const std::int64_t count = k == 0 ? split.count_2t : split.count_ic;
    for (std::int64_t first = 0; first < count; first += o.chunk) {
      const std::int64_t n = std::min(o.chunk, count - first), row = s.size();
      simulate_kind(in, o, kind, split_seed(o.seed, split_index, k), first, n, s);
      if (split.fit_labels && k == 0) {
        fit_labels(in, o, s, row, row + n);
        for (std::int64_t i = row; i < row + n; ++i) failed += std::isnan(s.fit_kt_kev[i]);
      }
      sink(row, row + n);
      done += n;
      if (o.progress) {
        const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "  simulated%s %lld/%lld spectra, %.1f spectra/s, ETA %.0f s\n",
                     split.fit_labels ? " and fitted" : "", (long long)done, (long long)total, done / el,
                     el / done * (total - done));
      }
    }
  }
  SPECNET_CHECK(failed == 0, "IC dataset: the 1T label fit failed for ", failed, " spectra");
}

}  // namespace

IcSpectra simulate_ic_split(const IcSplitOptions& split, std::uint64_t split_index, const IcSimulationOptions& o) {
  IcSpectra s;
  run_split(split, split_index, o, s, [](std::int64_t, std::int64_t) {});
  return s;
}

void write_ic_split(const std::string& path, const IcSplitOptions& split, std::uint64_t split_index,
                    const IcSimulationOptions& o) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    SPECNET_CHECK(f.good(), "write_ic_split: cannot open ", tmp);
    IcSpectra s;
    bool header = false;
    // Streaming: each finished block is written and dropped, so memory stays at one block.
    run_split(split, split_index, o, s, [&](std::int64_t begin, std::int64_t end) {
      if (!header) write_header(f, split.count_2t + split.count_ic, s), header = true;
      write_rows(f, s, begin, end);
      s.counts.clear();
      s.kind.clear(), s.truth.clear(), s.fit_kt_kev.clear(), s.fit_norm.clear();
    });
    if (!header) write_header(f, 0, s);
    f.flush();
    SPECNET_CHECK(f.good(), "write_ic_split: write to ", tmp, " failed");
  }
  std::filesystem::rename(tmp, path);
}

void write_ic_dataset(const std::string& dir, const IcDatasetSizes& n, const IcSimulationOptions& o) {
  std::filesystem::create_directories(dir);
  const struct {
    const char* file;
    IcSplitOptions split;
  } parts[] = {{"train.bin", {n.train, 0, true}}, {"cv_ic.bin", {0, n.cv_ic, false}}, {"test.bin", {n.test_2t, n.test_ic, false}}};
  for (std::uint64_t k = 0; k < 3; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    write_ic_split(dir + "/" + parts[k].file, parts[k].split, k, o);
    std::printf("dataset: %s/%s: %lld 2T + %lld 1T+IC spectra%s in %.1f s\n", dir.c_str(), parts[k].file,
                (long long)parts[k].split.count_2t, (long long)parts[k].split.count_ic,
                parts[k].split.fit_labels ? " with 1T label fits" : "",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::fflush(stdout);
  }
}

void write_ic_spectra(const std::string& path, const IcSpectra& s) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    SPECNET_CHECK(f.good(), "write_ic_spectra: cannot open ", tmp);
    write_header(f, s.size(), s);
    write_rows(f, s, 0, s.size());
    f.flush();
    SPECNET_CHECK(f.good(), "write_ic_spectra: write to ", tmp, " failed");
  }
  std::filesystem::rename(tmp, path);
}

namespace {

constexpr std::uint64_t kHeaderBytes = sizeof kMagic + 4 + 3 * 8 + 8;
constexpr std::uint64_t kMetaBytes = 4 + 9 * 8;  // kind, truth (7), 1T fit (2) before the counts of a record

// The header of an IC spectra file (s without rows) and the layout of its records.
io::RecordLayout read_header(const std::string& path, IcSpectra& s) {
  std::ifstream f(path, std::ios::binary);
  SPECNET_CHECK(f.good(), "read_ic_spectra: cannot open ", path);
  char magic[sizeof kMagic];
  f.read(magic, sizeof magic);
  SPECNET_CHECK(f.good() && std::memcmp(magic, kMagic, sizeof kMagic) == 0, "read_ic_spectra: ", path,
                " is not an IC spectra file (bad magic)");
  std::int32_t version = 0;
  get(f, version, path);
  SPECNET_CHECK(version == kVersion, "read_ic_spectra: ", path, " has version ", version, ", expected ", kVersion);
  std::int64_t n = 0;
  get(f, n, path);
  get(f, s.first_channel, path);
  get(f, s.num_channels, path);
  get(f, s.exposure_s, path);
  SPECNET_CHECK(n >= 0 && n < (std::int64_t(1) << 32) && s.num_channels > 0 && s.num_channels <= 1 << 16 &&
                    s.first_channel >= 0 && std::isfinite(s.exposure_s) && s.exposure_s > 0,
                "read_ic_spectra: ", path, " has an impossible header (", n, " spectra, ", s.num_channels,
                " channels, exposure ", s.exposure_s, ")");
  const auto size = std::filesystem::file_size(path);
  io::RecordLayout l;
  l.data_offset = kHeaderBytes;
  l.record_bytes = kMetaBytes + 4 * std::uint64_t(s.num_channels);
  l.count = n;
  l.field_offset = kMetaBytes;
  l.width = s.num_channels;
  SPECNET_CHECK(size == kHeaderBytes + std::uint64_t(n) * l.record_bytes, "read_ic_spectra: ", path, " holds ", size,
                " bytes, which does not match ", n, " spectra of ", s.num_channels, " channels");
  return l;
}

// Kind, truth and fit of every record (appended to s), and with `counts` the counts too.
void read_rows(const std::string& path, const io::RecordLayout& l, IcSpectra& s, bool counts, std::uint64_t chunk) {
  if (counts) s.counts.resize(std::size_t(l.count) * std::size_t(l.width));
  io::scan_records(path, l, chunk, [&](std::int64_t first, std::int64_t n, const unsigned char* rec) {
    for (std::int64_t r = 0; r < n; ++r) {
      const unsigned char* p = rec + r * l.record_bytes;
      std::int32_t kind = 0;
      std::memcpy(&kind, p, 4);
      SPECNET_CHECK(kind == 0 || kind == 1, "read_ic_spectra: ", path, " spectrum ", first + r, " has kind ", kind);
      double v[9];
      std::memcpy(v, p + 4, sizeof v);
      s.kind.push_back(static_cast<SpectrumKind>(kind));
      s.truth.push_back({v[0], v[1], v[2], v[3], v[4], v[5], v[6]});
      s.fit_kt_kev.push_back(v[7]);
      s.fit_norm.push_back(v[8]);
      if (counts) std::memcpy(s.counts.data() + (first + r) * l.width, p + kMetaBytes, 4 * std::size_t(l.width));
    }
  });
}

}  // namespace

IcSpectra read_ic_spectra(const std::string& path) {
  IcSpectra s;
  const io::RecordLayout l = read_header(path, s);
  read_rows(path, l, s, true, 4 << 20);
  return s;
}

IcSpectraSource open_ic_spectra(const std::string& path, std::uint64_t budget_bytes) {
  IcSpectraSource src;
  const io::RecordLayout l = read_header(path, src.meta);
  read_rows(path, l, src.meta, false, std::max<std::uint64_t>(budget_bytes / 8, 64 << 10));
  src.counts = io::RecordSource::open(path, l, budget_bytes);
  return src;
}

IcSpectraSource to_source(IcSpectra s) {
  IcSpectraSource src;
  const std::int64_t C = s.num_channels;
  src.counts = io::RecordSource(std::move(s.counts), C);
  s.counts.clear();
  src.meta = std::move(s);
  return src;
}

std::vector<double> raw_labels(const IcSpectra& s, std::int64_t i) {
  SPECNET_CHECK(i >= 0 && i < s.size(), "raw_labels: spectrum ", i, " out of range");
  SPECNET_CHECK(std::isfinite(s.fit_kt_kev[i]) && std::isfinite(s.fit_norm[i]), "raw_labels: spectrum ", i,
                " has no 1T fit (simulate the training split with label fits)");
  return {s.truth[i].z, s.fit_kt_kev[i], s.truth[i].abund, s.fit_norm[i]};
}

void LabelScaler::fit(const std::vector<double>& labels, std::int64_t n) {
  SPECNET_CHECK(n >= 2 && labels.size() == std::size_t(n) * kNumLabels, "LabelScaler: needs >= 2 rows of ",
                kNumLabels, " labels, got ", labels.size(), " values for ", n, " rows");
  lo.assign(kNumLabels, std::numeric_limits<double>::infinity());
  hi.assign(kNumLabels, -std::numeric_limits<double>::infinity());
  for (std::int64_t i = 0; i < n; ++i)
    for (int j = 0; j < kNumLabels; ++j) {
      const double v = labels[i * kNumLabels + j];
      SPECNET_CHECK(std::isfinite(v), "LabelScaler: label ", j, " of row ", i, " is not finite");
      lo[j] = std::min(lo[j], v);
      hi[j] = std::max(hi[j], v);
    }
  for (int j = 0; j < kNumLabels; ++j)
    if (hi[j] <= lo[j]) hi[j] = lo[j] + 1;  // a constant label maps to 0
}

std::vector<double> LabelScaler::transform(const std::vector<double>& labels) const {
  SPECNET_CHECK(lo.size() == kNumLabels, "LabelScaler: transform before fit");
  SPECNET_CHECK(labels.size() % kNumLabels == 0, "LabelScaler: ", labels.size(), " values is not rows of ", kNumLabels);
  std::vector<double> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) out[i] = (labels[i] - lo[i % kNumLabels]) / (hi[i % kNumLabels] - lo[i % kNumLabels]);
  return out;
}

std::vector<double> LabelScaler::inverse(const std::vector<double>& scaled) const {
  SPECNET_CHECK(lo.size() == kNumLabels, "LabelScaler: inverse before fit");
  SPECNET_CHECK(scaled.size() % kNumLabels == 0, "LabelScaler: ", scaled.size(), " values is not rows of ", kNumLabels);
  std::vector<double> out(scaled.size());
  for (std::size_t i = 0; i < scaled.size(); ++i) out[i] = lo[i % kNumLabels] + scaled[i] * (hi[i % kNumLabels] - lo[i % kNumLabels]);
  return out;
}

void full_channel_counts(const IcSpectra& s, std::int64_t i, std::vector<double>& out) {
  SPECNET_CHECK(i >= 0 && i < s.size(), "full_channel_counts: spectrum ", i, " out of range");
  full_channel_counts(s, s.spectrum(i), out);
}

void full_channel_counts(const IcSpectra& s, const float* counts, std::vector<double>& out) {
  SPECNET_CHECK(std::int64_t(out.size()) >= s.first_channel + s.num_channels, "full_channel_counts: ", out.size(),
                " channels cannot hold channels up to ", s.first_channel + s.num_channels);
  std::fill(out.begin(), out.end(), 0.0);
  for (std::int64_t c = 0; c < s.num_channels; ++c) out[s.first_channel + c] = counts[c];
}

LabelScaler fit_label_scaler(const IcSpectra& s) {
  std::vector<double> raw;
  for (std::int64_t i = 0; i < s.size(); ++i)
    for (double v : raw_labels(s, i)) raw.push_back(v);
  LabelScaler scaler;
  scaler.fit(raw, s.size());
  return scaler;
}

std::int64_t network_bins(std::int64_t num_channels) {
  SPECNET_CHECK(num_channels >= 16, "network_bins: needs >= 16 channels, got ", num_channels);
  return num_channels / 16 * 16;
}

void network_input(const IcSpectra& s, std::int64_t i, std::int64_t bins, bool log_input, float* out) {
  SPECNET_CHECK(bins > 0 && bins <= s.num_channels, "network_input: ", bins, " bins but ", s.num_channels,
                " channels stored");
  network_input(s.spectrum(i), s.exposure_s, bins, log_input, out);
}

void network_input(const float* c, double exposure_s, std::int64_t bins, bool log_input, float* out) {
  const double per_rate = 1.0 / (exposure_s * 0.04);  // counts -> counts/s/keV (0.04 keV NuSTAR channels)
  for (std::int64_t b = 0; b < bins; ++b)
    out[b] = log_input ? static_cast<float>(std::log10(1.0 + c[b]) / 5.0) : static_cast<float>(c[b] * per_rate);
}

}  // namespace specnet::ic
