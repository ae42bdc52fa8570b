// BHB spectra for the spectral-posterior network: NICER 240-bin grouping, grouped rates, the streamed record file,
// the synthetic and shifted simulations and the input scaling (paper 002; reference-architectures.md section B).
#include "specnet/bhb/dataset.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
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

Dataset read_dataset(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  SPECNET_CHECK(f, "bhb dataset: cannot open ", path);
  std::fseek(f, 0, SEEK_END);
  const long long bytes = std::ftell(f);
  std::fseek(f, 0, SEEK_SET);
  char buf[kHeaderBytes];
  Dataset d;
  bool ok = bytes >= kHeaderBytes && std::fread(buf, 1, kHeaderBytes, f) == kHeaderBytes &&
            std::memcmp(buf, kMagic, 8) == 0;
  if (ok) {
    std::memcpy(&d.header.bins, buf + 8, 8);
    std::memcpy(&d.header.params, buf + 16, 8);
    std::memcpy(&d.header.exposure_s, buf + 24, 8);
    std::memcpy(&d.header.n_det, buf + 32, 8);
    std::memcpy(&d.header.seed, buf + 40, 8);
    std::memcpy(&d.header.kind, buf + 48, 8);
    ok = d.header.bins > 0 && d.header.bins < 100000 && d.header.params == kNumParams;
  }
  if (!ok) {
    std::fclose(f);
    throw Error(str("bhb dataset: ", path, " is not a specnet BHB record file (bad magic or header)"));
  }
  const std::int64_t rb = record_bytes(d.header), N = (bytes - kHeaderBytes) / rb, P = d.header.params,
                     L = d.header.bins;
  if ((bytes - kHeaderBytes) % rb != 0) {
    std::fclose(f);
    throw Error(str("bhb dataset: ", path, " is truncated (", bytes - kHeaderBytes, " bytes of records, ", rb, " each)"));
  }
  d.index.resize(N);
  d.params.resize(N * P);
  d.counts.resize(N);
  d.rate.resize(N * L);
  d.sigma.resize(N * L);
  for (std::int64_t i = 0; i < N && ok; ++i)
    ok = std::fread(&d.index[i], 8, 1, f) == 1 && std::fread(&d.params[i * P], 8, P, f) == size_t(P) &&
         std::fread(&d.counts[i], 8, 1, f) == 1 && std::fread(&d.rate[i * L], 4, L, f) == size_t(L) &&
         std::fread(&d.sigma[i * L], 4, L, f) == size_t(L);
  std::fclose(f);
  SPECNET_CHECK(ok, "bhb dataset: read error in ", path);
  for (std::int64_t i = 0; i < N * L; ++i)
    SPECNET_CHECK(std::isfinite(d.rate[i]) && std::isfinite(d.sigma[i]) && d.sigma[i] > 0,
                  "bhb dataset: ", path, " holds a non-finite rate or non-positive uncertainty (spectrum ", i / L, ")");
  return d;
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

GroupedSpectrum spectrum_from_pha(const BinGrouping& g, const std::string& source_path,
                                  const std::string& background_path, double n_det) {
  const io::Spectrum src = io::read_pha(source_path);
  SPECNET_CHECK(!src.header.is_rate, "bhb: ", source_path, " holds rates; a COUNTS spectrum is needed");
  SPECNET_CHECK(static_cast<std::int64_t>(src.num_channels()) == g.num_channels, "bhb: ", source_path, " has ",
                src.num_channels(), " channels, the grouping needs ", g.num_channels);
  std::vector<double> bkg;
  double ratio = 0;
  if (!background_path.empty()) {
    const io::Spectrum b = io::read_pha(background_path);
    SPECNET_CHECK(!b.header.is_rate && b.num_channels() == src.num_channels(), "bhb: background ", background_path,
                  " must be a COUNTS spectrum with ", src.num_channels(), " channels");
    bkg = b.counts;
    ratio = (src.exposure_s * src.backscal * src.areascal) / (b.exposure_s * b.backscal * b.areascal);
  }
  return group_spectrum(g, src.counts.data(), bkg.empty() ? nullptr : bkg.data(), ratio, src.exposure_s, n_det);
}

Scaling Scaling::fit(const Dataset& d) {
  SPECNET_CHECK(d.size() > 1, "bhb scaling: need at least two spectra, got ", d.size());
  Scaling s;
  double floor = std::numeric_limits<double>::infinity();
  for (float r : d.rate)
    if (r > 0) floor = std::min<double>(floor, r);
  SPECNET_CHECK(std::isfinite(floor), "bhb scaling: no positive rate in the set");
  s.rate_floor = floor;
  s.log_min = std::log10(floor);
  s.log_max = s.log_min;
  for (float r : d.rate) s.log_max = std::max(s.log_max, std::log10(std::max<double>(r, floor)));
  SPECNET_CHECK(s.log_max > s.log_min, "bhb scaling: all rates are equal");
  const std::int64_t N = d.size(), P = kNumParams;
  for (std::int64_t p = 0; p < P; ++p) {
    double m = 0, m2 = 0;
    for (std::int64_t i = 0; i < N; ++i) {
      const double v = kParamLog[p] ? std::log10(d.params[i * P + p]) : d.params[i * P + p];
      SPECNET_CHECK(std::isfinite(v), "bhb scaling: spectrum ", i, " has no valid ", kParamNames[p]);
      m += v;
      m2 += v * v;
    }
    m /= N;
    s.mean[p] = m;
    s.stdev[p] = std::sqrt(std::max(m2 / N - m * m, 1e-24));
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

void Scaling::spectra(const Dataset& d, std::int64_t first, std::int64_t n, float* x, float* theta) const {
  SPECNET_CHECK(first >= 0 && n >= 0 && first + n <= d.size(), "bhb scaling: range out of the set");
  const std::int64_t L = d.header.bins, P = kNumParams;
  const double range = log_max - log_min;
  for (std::int64_t i = 0; i < n; ++i) {
    const float* r = &d.rate[(first + i) * L];
    const float* s = &d.sigma[(first + i) * L];
    float* xi = x + i * 2 * L;
    for (std::int64_t l = 0; l < L; ++l) {
      const double rr = std::max<double>(r[l], rate_floor);
      xi[l] = static_cast<float>((std::log10(rr) - log_min) / range);
      xi[L + l] = static_cast<float>(std::log10(1.0 + s[l] / rr) / range);
    }
    if (theta)
      for (std::int64_t p = 0; p < P; ++p) theta[i * P + p] = static_cast<float>(to_scaled(p, d.params[(first + i) * P + p]));
  }
}

std::map<std::string, std::string> Scaling::to_strings() const {
  std::map<std::string, std::string> m;
  auto put = [&](const std::string& k, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    m["scaling." + k] = buf;
  };
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
