// BHB spectra for the spectral-posterior network: NICER 240-bin grouping, grouped rates, the streamed record file,
// the synthetic and shifted simulations and the input scaling (paper 002; reference-architectures.md section B).
#include "specnet/bhb/dataset.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>

#include "specnet/error.h"
#include "specnet/io/pha.h"

namespace specnet::bhb {

const std::array<const char*, kNumParams> kParamNames = {"N_H", "Gamma", "f_sc", "kT_disk", "N"};
const std::array<const char*, kNumParams> kModelParams = {"tbabs_1.nH", "simplcut_2.Gamma", "simplcut_2.FracSctr",
                                                          "ezdiskbb_3.T_max", "ezdiskbb_3.norm"};
const std::array<bool, kNumParams> kParamLog = {true, false, true, true, true};

namespace {
constexpr char kMagic[8] = {'S', 'P', 'N', 'B', 'H', 'B', '0', '1'};
constexpr std::int64_t kHeaderBytes = 64;

std::int64_t record_bytes(const DatasetHeader& h) { return 8 + 8 * h.params + 8 + 8 * h.bins; }
}  // namespace

BinGrouping nicer_grouping(const std::vector<double>& e_min, const std::vector<double>& e_max, double lo, double hi) {
  SPECNET_CHECK(e_min.size() == 1501 && e_max.size() == 1501, "bhb grouping: the NICER grouping needs 1501 PI "
                "channels (10 eV, PI 0-1500), the response has ", e_min.size());
  SPECNET_CHECK(lo < hi, "bhb grouping: energy range [", lo, ", ", hi, "] is empty");
  const std::int64_t bounds[] = {0, 20, 248, 600, 1200, 1494, 1500}, step[] = {2, 3, 4, 5, 6, 2};
  BinGrouping g;
  g.num_channels = 1501;
  for (int r = 0; r < 6; ++r)
    for (std::int64_t c = bounds[r]; c < bounds[r + 1]; c += step[r]) {
      const std::int64_t end = std::min(c + step[r], bounds[r + 1]);
      const double a = e_min[c], b = e_max[end - 1];
      if (a >= lo - 1e-9 && b <= hi + 1e-9) {
        g.first.push_back(c);
        g.end.push_back(end);
        g.e_lo_kev.push_back(a);
        g.e_hi_kev.push_back(b);
      }
    }
  SPECNET_CHECK(g.size() > 0, "bhb grouping: no group lies inside [", lo, ", ", hi, "] keV");
  return g;
}

GroupedSpectrum group_spectrum(const BinGrouping& g, const double* src, const double* bkg, double bkg_ratio,
                               double exposure_s, double n_det) {
  SPECNET_CHECK(exposure_s > 0 && n_det > 0 && bkg_ratio >= 0, "bhb: exposure (", exposure_s, " s), n_det (", n_det,
                ") must be positive and the background ratio (", bkg_ratio, ") non-negative");
  GroupedSpectrum s;
  const std::int64_t L = g.size();
  s.rate.resize(L);
  s.sigma.resize(L);
  for (std::int64_t i = 0; i < L; ++i) {
    double S = 0, B = 0;
    for (std::int64_t c = g.first[i]; c < g.end[i]; ++c) {
      SPECNET_CHECK(std::isfinite(src[c]) && src[c] >= 0, "bhb: bad source counts ", src[c], " in channel ", c);
      S += src[c];
      if (bkg) B += bkg[c];
    }
    const double scale = 1.0 / (exposure_s * n_det * (g.e_hi_kev[i] - g.e_lo_kev[i]));
    s.rate[i] = static_cast<float>((S - bkg_ratio * B) * scale);
    s.sigma[i] = static_cast<float>(std::max(std::sqrt(S), 1.0) * scale);
    s.source_counts += S;
  }
  return s;
}

const char* dataset_kind_name(std::int64_t kind) {
  return kind == 0 ? "synthetic" : kind == 1 ? "shifted" : kind == 2 ? "real" : "unknown";
}

DatasetWriter::DatasetWriter(const std::string& path, const DatasetHeader& header)
    : path_(path), tmp_(path + ".tmp"), header_(header) {
  SPECNET_CHECK(header.bins > 0 && header.params > 0, "bhb dataset: bins and params must be positive");
  std::FILE* f = std::fopen(tmp_.c_str(), "wb");
  SPECNET_CHECK(f, "bhb dataset: cannot write ", tmp_);
  char buf[kHeaderBytes] = {};
  std::memcpy(buf, kMagic, 8);
  std::memcpy(buf + 8, &header.bins, 8);
  std::memcpy(buf + 16, &header.params, 8);
  std::memcpy(buf + 24, &header.exposure_s, 8);
  std::memcpy(buf + 32, &header.n_det, 8);
  std::memcpy(buf + 40, &header.seed, 8);
  std::memcpy(buf + 48, &header.kind, 8);
  SPECNET_CHECK(std::fwrite(buf, 1, kHeaderBytes, f) == kHeaderBytes, "bhb dataset: write failed on ", tmp_);
  file_ = f;
}

DatasetWriter::~DatasetWriter() {
  if (file_) {
    std::fclose(static_cast<std::FILE*>(file_));
    std::remove(tmp_.c_str());
  }
}

void DatasetWriter::append(std::int64_t index, const double* params, const GroupedSpectrum& s) {
  SPECNET_CHECK(file_, "bhb dataset: writer already closed");
  SPECNET_CHECK(static_cast<std::int64_t>(s.rate.size()) == header_.bins && s.sigma.size() == s.rate.size(),
                "bhb dataset: spectrum has ", s.rate.size(), " bins, the file ", header_.bins);
  std::FILE* f = static_cast<std::FILE*>(file_);
  bool ok = std::fwrite(&index, 8, 1, f) == 1 && std::fwrite(params, 8, header_.params, f) == size_t(header_.params) &&
            std::fwrite(&s.source_counts, 8, 1, f) == 1 &&
            std::fwrite(s.rate.data(), 4, s.rate.size(), f) == s.rate.size() &&
            std::fwrite(s.sigma.data(), 4, s.sigma.size(), f) == s.sigma.size();
  SPECNET_CHECK(ok, "bhb dataset: write failed on ", tmp_);
  ++count_;
}

void DatasetWriter::close() {
  SPECNET_CHECK(file_, "bhb dataset: writer already closed");
  std::FILE* f = static_cast<std::FILE*>(file_);
  file_ = nullptr;
  const bool ok = std::fflush(f) == 0 && std::fclose(f) == 0;
  SPECNET_CHECK(ok && std::rename(tmp_.c_str(), path_.c_str()) == 0, "bhb dataset: cannot finish ", path_);
}

Dataset Dataset::slice(std::int64_t first, std::int64_t end) const {
  SPECNET_CHECK(0 <= first && first <= end && end <= size(), "bhb dataset: slice [", first, ", ", end, ") of ", size());
  Dataset d;
  d.header = header;
  const std::int64_t P = header.params, L = header.bins;
  d.index.assign(index.begin() + first, index.begin() + end);
  d.counts.assign(counts.begin() + first, counts.begin() + end);
  d.params.assign(params.begin() + first * P, params.begin() + end * P);
  d.rate.assign(rate.begin() + first * L, rate.begin() + end * L);
  d.sigma.assign(sigma.begin() + first * L, sigma.begin() + end * L);
  return d;
}

namespace {

// The header of a record file and the layout of its records (spectra rows: rate and sigma).
io::RecordLayout read_header(const std::string& path, DatasetHeader& h) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  SPECNET_CHECK(f, "bhb dataset: cannot open ", path);
  std::fseek(f, 0, SEEK_END);
  const long long bytes = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  char buf[kHeaderBytes];
  bool ok = bytes >= kHeaderBytes && std::fread(buf, 1, kHeaderBytes, f) == kHeaderBytes &&
            std::memcmp(buf, kMagic, 8) == 0;
  std::fclose(f);
  if (ok) {
    std::memcpy(&h.bins, buf + 8, 8);
    std::memcpy(&h.params, buf + 16, 8);
    std::memcpy(&h.exposure_s, buf + 24, 8);
    std::memcpy(&h.n_det, buf + 32, 8);
    std::memcpy(&h.seed, buf + 40, 8);
    std::memcpy(&h.kind, buf + 48, 8);
    ok = h.bins > 0 && h.bins < 100000 && h.params == kNumParams;
  }
  SPECNET_CHECK(ok, "bhb dataset: ", path, " is not a specnet BHB record file (bad magic or header)");
  const std::int64_t rb = record_bytes(h);
  SPECNET_CHECK((bytes - kHeaderBytes) % rb == 0, "bhb dataset: ", path, " is truncated (", bytes - kHeaderBytes,
                " bytes of records, ", rb, " each)");
  io::RecordLayout l;
  l.data_offset = kHeaderBytes;
  l.record_bytes = std::uint64_t(rb);
  l.count = (bytes - kHeaderBytes) / rb;
  l.field_offset = std::uint64_t(8 + 8 * h.params + 8);
  l.width = 2 * h.bins;
  return l;
}

// Index, parameters and counts of every record into the vectors, the rate and sigma rows through `spectrum`
// (null: not kept); Error for a non-finite rate or a non-positive uncertainty.
template <typename Row>
void read_records(const std::string& path, const io::RecordLayout& l, const DatasetHeader& h, std::uint64_t chunk,
                  std::vector<std::int64_t>& index, std::vector<double>& params, std::vector<double>& counts, Row&& spectrum) {
  const std::int64_t P = h.params, L = h.bins;
  index.resize(l.count);
  params.resize(l.count * P);
  counts.resize(l.count);
  std::vector<float> row(2 * L);
  io::scan_records(path, l, chunk, [&](std::int64_t first, std::int64_t n, const unsigned char* rec) {
    for (std::int64_t r = 0; r < n; ++r) {
      const unsigned char* p = rec + r * l.record_bytes;
      const std::int64_t i = first + r;
      std::memcpy(&index[i], p, 8);
      std::memcpy(&params[i * P], p + 8, 8 * P);
      std::memcpy(&counts[i], p + 8 + 8 * P, 8);
      std::memcpy(row.data(), p + l.field_offset, 8 * L);
      for (std::int64_t k = 0; k < L; ++k)
        SPECNET_CHECK(std::isfinite(row[k]) && std::isfinite(row[L + k]) && row[L + k] > 0, "bhb dataset: ", path,
                      " holds a non-finite rate or non-positive uncertainty (spectrum ", i, ")");
      spectrum(i, row.data());
    }
  });
}

}  // namespace

Dataset read_dataset(const std::string& path) {
  Dataset d;
  const io::RecordLayout l = read_header(path, d.header);
  const std::int64_t L = d.header.bins;
  d.rate.resize(l.count * L);
  d.sigma.resize(l.count * L);
  read_records(path, l, d.header, 4 << 20, d.index, d.params, d.counts, [&](std::int64_t i, const float* row) {
    std::copy_n(row, L, &d.rate[i * L]);
    std::copy_n(row + L, L, &d.sigma[i * L]);
  });
  return d;
}

DatasetSource open_dataset(const std::string& path, std::uint64_t budget_bytes) {
  DatasetSource d;
  const io::RecordLayout l = read_header(path, d.header);
  read_records(path, l, d.header, std::max<std::uint64_t>(budget_bytes / 8, 64 << 10), d.index, d.params, d.counts,
               [](std::int64_t, const float*) {});
  d.spectra = io::RecordSource::open(path, l, budget_bytes);
  return d;
}

DatasetSource to_source(const Dataset& d) {
  DatasetSource s;
  s.header = d.header;
  s.index = d.index;
  s.params = d.params;
  s.counts = d.counts;
  const std::int64_t L = d.header.bins;
  std::vector<float> rows(d.rate.size() * 2);  // (N, 2L)
  for (std::int64_t i = 0; i < d.size(); ++i) {
    std::copy_n(&d.rate[i * L], L, &rows[i * 2 * L]);
    std::copy_n(&d.sigma[i * L], L, &rows[i * 2 * L + L]);
  }
  s.spectra = io::RecordSource(std::move(rows), 2 * L);
  return s;
}

DatasetSource DatasetSource::slice(std::int64_t a, std::int64_t b) const {
  SPECNET_CHECK(0 <= a && a <= b && b <= size(), "bhb dataset: slice [", a, ", ", b, ") of ", size());
  DatasetSource d;
  d.header = header;
  const std::int64_t P = header.params;
  d.index.assign(index.begin() + a, index.begin() + b);
  d.counts.assign(counts.begin() + a, counts.begin() + b);
  d.params.assign(params.begin() + a * P, params.begin() + b * P);
  d.spectra = spectra;
  d.first = first + a;
  return d;
}

void DatasetSource::gather(const std::int64_t* rows, std::int64_t n, float* out) const {
  std::vector<std::int64_t> abs(std::size_t(std::max<std::int64_t>(n, 0)));
  for (std::int64_t i = 0; i < n; ++i) {
    SPECNET_CHECK(rows[i] >= 0 && rows[i] < size(), "bhb dataset: spectrum ", rows[i], " out of range [0, ", size(), ")");
    abs[i] = first + rows[i];
  }
  spectra.gather(abs.data(), n, out);
}

namespace {
// Background rate per channel (counts/s in the source region): total_rate over 0.3-10 keV with an E^-slope shape.
std::vector<double> background_rate(const io::Rmf& rmf, double total_rate, double slope) {
  const std::size_t H = rmf.num_channels();
  std::vector<double> r(H, 0.0);
  double sum = 0;
  for (std::size_t c = 0; c < H; ++c) {
    const double e = 0.5 * (rmf.channel_e_min_kev[c] + rmf.channel_e_max_kev[c]);
    if (e < 0.2 || e > 15) continue;
    r[c] = std::pow(e, -slope);
    if (e >= 0.3 && e <= 10) sum += r[c];
  }
  for (auto& v : r) v *= total_rate / sum;
  return r;
}
}  // namespace

Simulation make_simulation(std::int64_t kind, std::uint64_t seed, const std::string& response) {
  SPECNET_CHECK(kind == 0 || kind == 1, "bhb simulation: kind must be 0 (synthetic) or 1 (shifted), got ", kind);
  Simulation s;
  s.kind = kind;
  s.seed = seed;
  sim::InstrumentResponse resp = sim::load_response(response);
  double exposure = 1e3, bkg_total = 0.6, bkg_slope = 0.8;
  if (kind == 1) {
    SPECNET_CHECK(resp.has_arf(), "bhb simulation: the shifted set perturbs the ARF, but '", response, "' has none");
    for (std::size_t e = 0; e < resp.arf.area_cm2.size(); ++e) {
      const double en = 0.5 * (resp.arf.energy_lo_kev[e] + resp.arf.energy_hi_kev[e]);
      const double f = 0.8 + 0.15 * std::log10(en) + 0.1 * std::exp(-0.5 * std::pow((en - 1.5) / 0.15, 2));
      resp.arf.area_cm2[e] *= std::max(f, 0.05);
    }
    exposure = 2e3;
    bkg_total = 2.5;
    bkg_slope = 0.3;
  }
  s.grouping = nicer_grouping(resp.rmf.channel_e_min_kev, resp.rmf.channel_e_max_kev);
  const auto bkg = background_rate(resp.rmf, bkg_total, bkg_slope);
  // The background is observed for as long as the source in a region of the same size (ratio 1).
  s.fakeit = sim::make_fakeit_setup(std::move(resp), exposure, bkg);
  s.background_counts = sim::fake_background_counts(s.fakeit, seed);
  s.bkg_ratio = 1;
  s.model.set("simplcut_2.kT_e", 100);
  s.model.freeze("simplcut_2.kT_e");
  s.priors = sim::parse_priors(
      "tbabs_1.nH=0.005:75:log,simplcut_2.Gamma=1.3:4,simplcut_2.FracSctr=0.001:1:log,"
      "ezdiskbb_3.T_max=0.025:4:log,ezdiskbb_3.norm=0.01:1e10:log");
  return s;
}

void resimulate(const Simulation& s, std::int64_t index, std::vector<double>& counts,
                std::array<double, kNumParams>& params) {
  const std::int64_t H = static_cast<std::int64_t>(s.fakeit.matrix.num_outputs()), P = s.model.num_params();
  counts.resize(H);
  std::vector<double> all(P);
  sim::simulate_block(s.fakeit, s.model, s.priors, s.seed, index, 1, counts.data(), all.data());
  for (std::int64_t p = 0; p < kNumParams; ++p) params[p] = all[s.model.param_index(kModelParams[p])];
}

void simulate_to_file(const Simulation& s, const SimulateOptions& o, const std::string& path) {
  SPECNET_CHECK(o.count > 0 && o.block > 0 && o.min_counts >= 0, "bhb dataset: need count > 0, block > 0, min_counts >= 0");
  DatasetHeader h;
  h.bins = s.grouping.size();
  h.exposure_s = s.fakeit.exposure_s;
  h.n_det = s.n_det;
  h.seed = s.seed;
  h.kind = s.kind;
  DatasetWriter w(path, h);
  const std::int64_t H = static_cast<std::int64_t>(s.fakeit.matrix.num_outputs()), P = s.model.num_params();
  std::vector<std::int64_t> col(kNumParams);
  for (std::int64_t p = 0; p < kNumParams; ++p) col[p] = s.model.param_index(kModelParams[p]);
  std::vector<double> counts(o.block * H), params(o.block * P);
  const auto t0 = std::chrono::steady_clock::now();
  std::int64_t simulated = 0, next_report = 0;
  while (w.count() < o.count) {
    sim::simulate_block(s.fakeit, s.model, s.priors, s.seed, simulated, o.block, counts.data(), params.data());
    for (std::int64_t b = 0; b < o.block && w.count() < o.count; ++b) {
      GroupedSpectrum g = group_spectrum(s.grouping, &counts[b * H], s.background_counts.data(), s.bkg_ratio,
                                         s.fakeit.exposure_s, s.n_det);
      if (g.source_counts < o.min_counts) continue;
      double theta[kNumParams];
      for (std::int64_t p = 0; p < kNumParams; ++p) theta[p] = params[b * P + col[p]];
      w.append(simulated + b, theta, g);
    }
    simulated += o.block;
    SPECNET_CHECK(simulated < 1000 * o.count + 100000, "bhb dataset: fewer than 1 in 1000 spectra pass the ",
                  o.min_counts, "-count cut; check the response and exposure");
    const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (o.progress && (w.count() >= next_report || w.count() >= o.count)) {
      const double rate = w.count() / std::max(el, 1e-9);
      std::fprintf(stderr, "bhb dataset: %lld/%lld kept (%lld simulated, %.0f%% pass), %.0f/s, %.0fs elapsed, ETA %.0fs\n",
                   (long long)w.count(), (long long)o.count, (long long)simulated, 100.0 * w.count() / simulated, rate,
                   el, (o.count - w.count()) / std::max(rate, 1e-9));
      next_report = w.count() + std::max<std::int64_t>(o.count / 20, 1);
    }
  }
  w.close();
}

io::Spectrum read_counts_pha(const std::string& path, std::size_t channels, const char* what) {
  io::Spectrum sp = io::read_pha(path);
  SPECNET_CHECK(!sp.header.is_rate, "bhb: ", what, " ", path, " holds rates; a COUNTS spectrum is needed");
  SPECNET_CHECK(sp.num_channels() == channels, "bhb: ", what, " ", path, " has ", sp.num_channels(),
                " channels, the response has ", channels);
  return sp;
}

PhaSpectra read_pha_spectra(const std::string& source_path, const std::string& background_path, std::size_t channels) {
  PhaSpectra f{read_counts_pha(source_path, channels, "source"), std::nullopt};
  if (!background_path.empty()) f.background = read_counts_pha(background_path, channels, "background");
  return f;
}

void check_pha_channels(const PhaSpectra& files, std::size_t channels) {
  SPECNET_CHECK(files.source.num_channels() == channels, "bhb: the source spectrum has ", files.source.num_channels(),
                " channels, the response has ", channels);
  SPECNET_CHECK(!files.background || files.background->num_channels() == channels, "bhb: the background spectrum has ",
                files.background ? files.background->num_channels() : 0, " channels, the response has ", channels);
}

GroupedSpectrum spectrum_from_pha(const BinGrouping& g, const PhaSpectra& files, double n_det) {
  check_pha_channels(files, static_cast<std::size_t>(g.num_channels));
  const io::Spectrum& src = files.source;
  std::vector<double> bkg;
  double ratio = 0;
  if (files.background) {
    const io::Spectrum& b = *files.background;
    bkg = b.counts;
    ratio = (src.exposure_s * src.backscal * src.areascal) / (b.exposure_s * b.backscal * b.areascal);
  }
  return group_spectrum(g, src.counts.data(), bkg.empty() ? nullptr : bkg.data(), ratio, src.exposure_s, n_det);
}

GroupedSpectrum spectrum_from_pha(const BinGrouping& g, const std::string& source_path,
                                  const std::string& background_path, double n_det) {
  return spectrum_from_pha(g, read_pha_spectra(source_path, background_path, static_cast<std::size_t>(g.num_channels)),
                           n_det);
}

namespace {
// Mean and standard deviation from a sum and a sum of squares over n values (the deviation floored at 1e-12).
void mean_stdev(double sum, double sum2, std::int64_t n, double& mean, double& stdev) {
  mean = sum / double(n);
  stdev = std::sqrt(std::max(sum2 / double(n) - mean * mean, 1e-24));
}

// Level of one spectrum in the shape scaling: the mean over the bins of log10 max(rate, sigma).
double shape_level(std::int64_t L, const float* rate, const float* sigma) {
  double sum = 0;
  for (std::int64_t l = 0; l < L; ++l) sum += std::log10(std::max<double>(rate[l], sigma[l]));
  return sum / double(L);
}
}  // namespace

InputScaling parse_input_scaling(const std::string& name) {
  if (name == "paper") return InputScaling::paper;
  if (name == "shape") return InputScaling::shape;
  throw Error(str("bhb: unknown input scaling '", name, "' (paper or shape)"));
}
const char* input_scaling_name(InputScaling m) { return m == InputScaling::paper ? "paper" : "shape"; }

Scaling Scaling::fit(const Dataset& d, InputScaling mode) { return fit(to_source(d), mode); }

Scaling Scaling::fit(const DatasetSource& d, InputScaling mode) {
  SPECNET_CHECK(d.size() > 1, "bhb scaling: need at least two spectra, got ", d.size());
  const std::int64_t N = d.size(), P = kNumParams, L = d.header.bins, block = 256;
  // Blocks of spectra in order, each as its rate and sigma rows (L).
  auto for_spectra = [&](const std::function<void(const float* rate, const float* sigma)>& fn) {
    std::vector<std::int64_t> rows;
    std::vector<float> buf;  // (n, 2L) rate, sigma
    for (std::int64_t r0 = 0; r0 < N; r0 += block) {
      const std::int64_t n = std::min(block, N - r0);
      rows.resize(n);
      for (std::int64_t i = 0; i < n; ++i) rows[i] = r0 + i;
      buf.resize(n * 2 * L);
      d.gather(rows.data(), n, buf.data());
      for (std::int64_t i = 0; i < n; ++i) fn(&buf[i * 2 * L], &buf[i * 2 * L + L]);
    }
  };
  Scaling s;
  s.mode = mode;
  if (mode == InputScaling::shape) {
    double m = 0, m2 = 0;
    for_spectra([&](const float* rate, const float* sigma) {
      const double v = shape_level(L, rate, sigma);
      m += v;
      m2 += v * v;
    });
    mean_stdev(m, m2, N, s.level_mean, s.level_std);
  } else {  // two passes: the floor, then the largest log rate above it
    auto for_rates = [&](const std::function<void(float)>& fn) {
      for_spectra([&](const float* rate, const float*) {
        for (std::int64_t l = 0; l < L; ++l) fn(rate[l]);
      });
    };
    double floor = std::numeric_limits<double>::infinity();
    for_rates([&](float r) {
      if (r > 0) floor = std::min<double>(floor, r);
    });
    SPECNET_CHECK(std::isfinite(floor), "bhb scaling: no positive rate in the set");
    s.rate_floor = floor;
    s.log_min = std::log10(floor);
    s.log_max = s.log_min;
    for_rates([&](float r) { s.log_max = std::max(s.log_max, std::log10(std::max<double>(r, floor))); });
    SPECNET_CHECK(s.log_max > s.log_min, "bhb scaling: all rates are equal");
  }
  for (std::int64_t p = 0; p < P; ++p) {
    double m = 0, m2 = 0;
    for (std::int64_t i = 0; i < N; ++i) {
      const double v = kParamLog[p] ? std::log10(d.params[i * P + p]) : d.params[i * P + p];
      SPECNET_CHECK(std::isfinite(v), "bhb scaling: spectrum ", i, " has no valid ", kParamNames[p]);
      m += v;
      m2 += v * v;
    }
    mean_stdev(m, m2, N, s.mean[p], s.stdev[p]);
  }
  return s;
}

double Scaling::to_scaled(std::int64_t p, double v) const {
  return ((kParamLog[p] ? std::log10(v) : v) - mean[p]) / stdev[p];
}
double Scaling::to_physical(std::int64_t p, double z) const {
  const double v = z * stdev[p] + mean[p];
  return kParamLog[p] ? std::pow(10.0, v) : v;
}

void Scaling::scale_row(std::int64_t L, const float* r, const float* s, const double* params, float* xi,
                        float* theta) const {
  if (mode == InputScaling::shape) {
    const double level = shape_level(L, r, s), k = kShapeDecades;
    for (std::int64_t l = 0; l < L; ++l) {
      const double rr = std::max<double>(r[l], s[l]);
      xi[l] = static_cast<float>((std::log10(rr) - level) / k);
      xi[L + l] = static_cast<float>(std::log10(1.0 + s[l] / rr) / k);
      xi[2 * L + l] = static_cast<float>((level - level_mean) / level_std);
    }
  } else {
    const double range = log_max - log_min;
    for (std::int64_t l = 0; l < L; ++l) {
      const double rr = std::max<double>(r[l], rate_floor);
      xi[l] = static_cast<float>((std::log10(rr) - log_min) / range);
      xi[L + l] = static_cast<float>(std::log10(1.0 + s[l] / rr) / range);
    }
  }
  if (theta)
    for (std::int64_t p = 0; p < kNumParams; ++p) theta[p] = static_cast<float>(to_scaled(p, params[p]));
}

void Scaling::spectra(const Dataset& d, std::int64_t first, std::int64_t n, float* x, float* theta) const {
  SPECNET_CHECK(first >= 0 && n >= 0 && first + n <= d.size(), "bhb scaling: range out of the set");
  const std::int64_t L = d.header.bins, P = kNumParams;
  for (std::int64_t i = 0; i < n; ++i)
    scale_row(L, &d.rate[(first + i) * L], &d.sigma[(first + i) * L], &d.params[(first + i) * P],
              x + i * channels() * L, theta ? theta + i * P : nullptr);
}

void Scaling::spectra(const DatasetSource& d, const std::int64_t* rows, std::int64_t n, float* x, float* theta) const {
  const std::int64_t L = d.header.bins, P = kNumParams;
  std::vector<float> raw(std::size_t(n * 2 * L));  // (n, 2L) rate, sigma
  d.gather(rows, n, raw.data());
  for (std::int64_t i = 0; i < n; ++i)
    scale_row(L, &raw[i * 2 * L], &raw[i * 2 * L + L], &d.params[rows[i] * P], x + i * channels() * L,
              theta ? theta + i * P : nullptr);
}

std::map<std::string, std::string> Scaling::to_strings() const {
  std::map<std::string, std::string> m;
  auto put = [&](const std::string& k, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    m["scaling." + k] = buf;
  };
  m["scaling.mode"] = input_scaling_name(mode);
  if (mode == InputScaling::shape) {
    put("level_mean", level_mean);
    put("level_std", level_std);
  }
  put("rate_floor", rate_floor);
  put("log_min", log_min);
  put("log_max", log_max);
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    put(std::string("mean.") + kParamNames[p], mean[p]);
    put(std::string("std.") + kParamNames[p], stdev[p]);
  }
  return m;
}

Scaling Scaling::from_strings(const std::map<std::string, std::string>& m) {
  auto get = [&](const std::string& k) {
    auto it = m.find("scaling." + k);
    SPECNET_CHECK(it != m.end(), "bhb: checkpoint lacks the input scaling entry 'scaling.", k, "'");
    return std::stod(it->second);
  };
  Scaling s;
  auto mode = m.find("scaling.mode");
  s.mode = mode == m.end() ? InputScaling::paper : parse_input_scaling(mode->second);
  if (s.mode == InputScaling::shape) {
    s.level_mean = get("level_mean");
    s.level_std = get("level_std");
  }
  s.rate_floor = get("rate_floor");
  s.log_min = get("log_min");
  s.log_max = get("log_max");
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    s.mean[p] = get(std::string("mean.") + kParamNames[p]);
    s.stdev[p] = get(std::string("std.") + kParamNames[p]);
  }
  return s;
}

}  // namespace specnet::bhb
