// fakeit: folded model + scaled background -> Poisson counts, single spectra and PHA Type II datasets drawn
// from priors; matches XSPEC fakeit (counts ~ Poisson(t * AREASCAL * rate + t * B * BACKSCAL_s/BACKSCAL_b)).
#include "specnet/sim/fakeit.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/io/parse_number.h"
#include "specnet/io/pha2.h"
#include "specnet/sim/poisson.h"
#include "specnet/sim/resources.h"

namespace specnet::sim {
namespace {

// Stream layout of one seed: spectrum i draws its parameters from stream 2i+1 and its counts from 2i; the
// background realisation uses the last stream. So any chunking or thread count gives the same dataset.
std::uint64_t counts_stream(std::uint64_t i) { return 2 * i; }
std::uint64_t params_stream(std::uint64_t i) { return 2 * i + 1; }
constexpr std::uint64_t kBackgroundStream = std::numeric_limits<std::uint64_t>::max();

void check_positive(double v, const char* what) {
  SPECNET_CHECK(std::isfinite(v) && v > 0, "fakeit: ", what, " must be a positive finite number, got ", v);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

io::PhaHeader pha_header(const FakeitSetup& setup, const std::string& hduclas2) {
  io::PhaHeader h;
  h.telescop = setup.response.rmf.telescop;
  h.instrume = setup.response.rmf.instrume;
  h.filter = setup.response.rmf.filter;
  h.chantype = setup.response.rmf.chantype;
  h.hduclas2 = hduclas2;
  h.first_channel = setup.response.rmf.first_channel;
  h.detchans = static_cast<long long>(setup.response.num_channels());
  // Built-in responses have no file to name; user files are named so XSPEC can load the result directly.
  if (setup.response.name != "nustar" && setup.response.name != "nicer") h.respfile = setup.response.name;
  return h;
}

std::vector<int> channel_numbers(const FakeitSetup& setup) {
  std::vector<int> ch(setup.response.num_channels());  // (H)
  for (std::size_t h = 0; h < ch.size(); ++h) ch[h] = setup.response.rmf.first_channel + static_cast<int>(h);
  return ch;
}

// Spectra folded together by simulate_block (also its parallel_for grain).
constexpr std::int64_t kFoldBatch = 16;

// out (B, H) = M in for B spectra at once; in is energy-major (E, B). Each output sums over the matrix entries
// in the same order as SparseResponse::fold_into, so batched and single folds agree bitwise. The full-batch
// case has a compile-time width so that the inner loop becomes straight vector code.
template <std::int64_t kB>
void fold_batch_fixed(const io::SparseResponse& matrix, const double* in_eb, std::int64_t B, double* out_bh) {
  const std::int64_t H = static_cast<std::int64_t>(matrix.num_outputs());
  const std::int64_t nb = kB > 0 ? kB : B;
  double acc[kFoldBatch];
  for (std::int64_t o = 0; o < H; ++o) {
    for (std::int64_t b = 0; b < nb; ++b) acc[b] = 0;
    for (auto k = matrix.row_start[o]; k < matrix.row_start[o + 1]; ++k) {
      const double v = matrix.value[k];
      const double* x = in_eb + static_cast<std::int64_t>(matrix.energy_index[k]) * nb;
      for (std::int64_t b = 0; b < nb; ++b) acc[b] += v * x[b];
    }
    for (std::int64_t b = 0; b < nb; ++b) out_bh[b * H + o] = acc[b];
  }
}

void fold_batch(const io::SparseResponse& matrix, const double* in_eb, std::int64_t B, double* out_bh) {
  if (B == kFoldBatch) fold_batch_fixed<kFoldBatch>(matrix, in_eb, B, out_bh);
  else fold_batch_fixed<0>(matrix, in_eb, B, out_bh);
}

// Folded rate (H) -> expected counts: t * AREASCAL * rate + t * background * BACKSCAL_src / BACKSCAL_bkg.
void scale_and_add_background(const FakeitSetup& setup, double* counts) {
  const std::size_t H = setup.matrix.num_outputs();
  const double t = setup.exposure_s * setup.areascal;
  for (std::size_t h = 0; h < H; ++h) counts[h] *= t;
  if (!setup.background_rate.empty()) {
    const double scale = setup.exposure_s * setup.backscal / setup.background_backscal;
    for (std::size_t h = 0; h < H; ++h) counts[h] += setup.background_rate[h] * scale;
  }
}

}  // namespace

std::vector<std::int64_t> prior_param_indices(const CompositeModel& model, const std::vector<Prior>& priors) {
  std::vector<std::int64_t> idx;
  for (const Prior& p : priors) {
    const std::int64_t i = model.param_index(p.name);
    const ParamSpec& spec = *model.params()[i].spec;
    SPECNET_CHECK(model.params()[i].link < 0, "prior on '", p.name, "': the parameter is linked to another");
    SPECNET_CHECK(p.lo >= spec.hard_min && p.hi <= spec.hard_max, "prior on '", p.name, "' [", p.lo, ", ", p.hi,
                  "] leaves the hard limits [", spec.hard_min, ", ", spec.hard_max, "]");
    idx.push_back(i);
  }
  return idx;
}

FakeitSetup make_fakeit_setup(InstrumentResponse response, double exposure_s, std::vector<double> background_rate,
                              double backscal, double background_backscal, double background_exposure_s) {
  check_positive(exposure_s, "exposure (s)");
  check_positive(backscal, "BACKSCAL");
  check_positive(background_backscal, "background BACKSCAL");
  SPECNET_CHECK(std::isfinite(background_exposure_s) && background_exposure_s >= 0,
                "fakeit: background exposure must be >= 0 (0: the source exposure), got ", background_exposure_s);
  FakeitSetup s;
  s.matrix = response.matrix();
  s.response = std::move(response);
  s.exposure_s = exposure_s;
  s.backscal = backscal;
  s.background_backscal = background_backscal;
  s.background_exposure_s = background_exposure_s > 0 ? background_exposure_s : exposure_s;
  if (!background_rate.empty()) {
    SPECNET_CHECK(background_rate.size() == s.response.num_channels(), "fakeit: background has ",
                  background_rate.size(), " channels, the response ", s.response.num_channels());
    for (double r : background_rate)
      SPECNET_CHECK(std::isfinite(r) && r >= 0, "fakeit: background rates must be finite and >= 0, got ", r);
  }
  s.background_rate = std::move(background_rate);
  return s;
}

void expected_counts(const FakeitSetup& setup, const double* photons, double* out) {
  setup.matrix.fold_into(out, photons);
  scale_and_add_background(setup, out);
}

std::vector<double> fake_counts(const FakeitSetup& setup, const double* photons, std::uint64_t seed,
                                std::uint64_t stream) {
  std::vector<double> mean(setup.matrix.num_outputs()), counts(mean.size());  // (H)
  expected_counts(setup, photons, mean.data());
  UniformStream u(seed, stream);
  sample_poisson(mean.data(), static_cast<std::int64_t>(mean.size()), u, counts.data());
  return counts;
}

std::vector<double> fake_background_counts(const FakeitSetup& setup, std::uint64_t seed) {
  SPECNET_CHECK(!setup.background_rate.empty(), "fake_background_counts: the setup has no background");
  std::vector<double> mean(setup.background_rate), counts(mean.size());  // (H)
  for (double& m : mean) m *= setup.background_exposure_s;
  UniformStream u(seed, kBackgroundStream);
  sample_poisson(mean.data(), static_cast<std::int64_t>(mean.size()), u, counts.data());
  return counts;
}

io::Spectrum make_source_pha(const FakeitSetup& setup, const std::vector<double>& counts,
                             const std::string& backfile) {
  io::Spectrum s;
  s.header = pha_header(setup, "TOTAL");
  s.header.backfile = backfile;
  s.exposure_s = setup.exposure_s;
  s.backscal = setup.backscal;
  s.areascal = setup.areascal;
  s.channel = channel_numbers(setup);
  s.counts = counts;
  return s;
}

io::Spectrum make_background_pha(const FakeitSetup& setup, const std::vector<double>& counts) {
  io::Spectrum s;
  s.header = pha_header(setup, "BKG");
  s.exposure_s = setup.background_exposure_s;
  s.backscal = setup.background_backscal;
  s.channel = channel_numbers(setup);
  s.counts = counts;
  return s;
}

std::string dataset_column_name(const std::string& param_name) {
  std::string s = param_name;
  for (char& c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) c = '_';
  return s;
}

double Prior::sample(double u) const {
  return log ? std::exp(std::log(lo) + u * (std::log(hi) - std::log(lo))) : lo + u * (hi - lo);
}

std::vector<Prior> parse_priors(const std::string& spec) {
  std::vector<Prior> priors;
  if (spec.empty()) return priors;
  for (const std::string& item : split(spec, ',')) {
    const auto eq = item.find('=');
    SPECNET_CHECK(eq != std::string::npos && eq > 0, "prior '", item, "' must look like name=lo:hi[:log]");
    Prior p;
    p.name = item.substr(0, eq);
    const auto parts = split(item.substr(eq + 1), ':');
    SPECNET_CHECK(parts.size() == 2 || parts.size() == 3, "prior '", item, "' must look like name=lo:hi[:log]");
    p.lo = io::parse_finite_double(parts[0], "prior " + item);
    p.hi = io::parse_finite_double(parts[1], "prior " + item);
    if (parts.size() == 3) {
      SPECNET_CHECK(parts[2] == "log" || parts[2] == "lin", "prior '", item, "': scale must be log or lin");
      p.log = parts[2] == "log";
    }
    SPECNET_CHECK(p.lo < p.hi, "prior '", item, "': lo must be < hi");
    SPECNET_CHECK(!p.log || p.lo > 0, "prior '", item, "': a log-uniform prior needs lo > 0");
    priors.push_back(p);
  }
  return priors;
}

std::vector<std::pair<std::string, double>> parse_param_values(const std::string& spec) {
  std::vector<std::pair<std::string, double>> values;
  if (spec.empty()) return values;
  for (const std::string& item : split(spec, ',')) {
    const auto eq = item.find('=');
    SPECNET_CHECK(eq != std::string::npos && eq > 0, "parameter '", item, "' must look like name=value");
    values.emplace_back(item.substr(0, eq), io::parse_finite_double(item.substr(eq + 1), "parameter " + item));
  }
  return values;
}

void simulate_block(const FakeitSetup& setup, const CompositeModel& model, const std::vector<Prior>& priors,
                    std::uint64_t seed, std::int64_t first, std::int64_t n, double* counts, double* params) {
  SPECNET_CHECK(first >= 0 && n >= 0, "simulate_block: bad range [", first, ", ", first + n, ")");
  const std::vector<std::int64_t> idx = prior_param_indices(model, priors);
  const std::vector<double> edges = setup.response.energy_edges_kev();  // (E+1)
  const std::int64_t E = static_cast<std::int64_t>(edges.size()) - 1;
  const std::int64_t H = static_cast<std::int64_t>(setup.matrix.num_outputs());
  const std::int64_t P = model.num_params();
  parallel_for(n, kFoldBatch, [&](std::int64_t begin, std::int64_t end) {
    CompositeModel m(model);  // each chunk sets parameters on its own copy
    const std::int64_t B = end - begin;
    std::vector<double> photons(E), photons_eb(E * B), mean(B * H);  // (E), (E, B), (B, H)
    for (std::int64_t b = 0; b < B; ++b) {
      const std::uint64_t i = static_cast<std::uint64_t>(first + begin + b);
      UniformStream pu(seed, params_stream(i));
      for (std::size_t k = 0; k < priors.size(); ++k) m.set(m.params()[idx[k]].name, priors[k].sample(pu.next()));
      for (std::int64_t p = 0; p < P; ++p) params[(begin + b) * P + p] = m.get(m.params()[p].name);
      m.evaluate(edges.data(), E, photons.data());
      for (std::int64_t e = 0; e < E; ++e) photons_eb[e * B + b] = photons[e];
    }
    // One pass over the matrix folds the whole chunk (the matrix, not the spectra, dominates memory traffic).
    fold_batch(setup.matrix, photons_eb.data(), B, mean.data());
    for (std::int64_t b = 0; b < B; ++b) {
      scale_and_add_background(setup, mean.data() + b * H);
      UniformStream cu(seed, counts_stream(static_cast<std::uint64_t>(first + begin + b)));
      sample_poisson(mean.data() + b * H, H, cu, counts + (begin + b) * H);
    }
  });
}

void simulate_dataset(const FakeitSetup& setup, const CompositeModel& model, const std::vector<Prior>& priors,
                      const DatasetOptions& options, const std::string& path, const std::string& background_path) {
  SPECNET_CHECK(options.count > 0, "simulate_dataset: count must be > 0, got ", options.count);
  SPECNET_CHECK(options.chunk > 0, "simulate_dataset: chunk must be > 0, got ", options.chunk);
  SPECNET_CHECK(options.memory_budget_mb >= 0, "simulate_dataset: memory budget must be >= 0 MiB, got ",
                options.memory_budget_mb);
  const std::int64_t H = static_cast<std::int64_t>(setup.matrix.num_outputs()), P = model.num_params();
  const std::int64_t budget_mb = options.memory_budget_mb > 0 ? options.memory_budget_mb : default_memory_budget_mb();
  const double budget_bytes = static_cast<double>(budget_mb) * 1024 * 1024;
  // Checked before anything is allocated or written: the parameter rows stay in memory until close().
  const double params_bytes = 8.0 * static_cast<double>(P) * static_cast<double>(options.count);
  SPECNET_CHECK(params_bytes <= budget_bytes / 2, "simulate_dataset: the PARAMS table of ", options.count,
                " spectra (", params_bytes / (1024 * 1024), " MiB, kept until the file is closed) exceeds half the "
                "memory budget of ", budget_mb, " MiB; raise SPECNET_MEMORY_BUDGET_MB or write several files");
  SPECNET_CHECK(setup.background_rate.empty() || !background_path.empty(),
                "simulate_dataset: a background needs a background file path");
  prior_param_indices(model, priors);  // fail before creating any file
  io::PhaHeader header = pha_header(setup, "TOTAL");
  if (!setup.background_rate.empty()) {
    header.backfile = background_path;
    io::write_pha(background_path, make_background_pha(setup, fake_background_counts(setup, options.seed)));
  }
  io::ParamTable table;
  for (const auto& p : model.params()) {
    table.names.push_back(dataset_column_name(p.name));
    table.units.push_back(p.spec->unit);
  }
  io::Pha2Writer writer(path, header, static_cast<std::size_t>(H), table, /*integer_counts=*/true);
  // Waves of whole chunks bound the memory: counts and parameters of one wave (8 (H + P) bytes per spectrum)
  // fit a quarter of the budget. Each spectrum depends only on (seed, index), never on the wave.
  const auto fit = static_cast<std::int64_t>(budget_bytes / 4 / (8.0 * static_cast<double>(H + P)));
  const std::int64_t wave = std::max<std::int64_t>(
      1, std::min({options.chunk * std::max(1, num_threads()) * 4, fit, options.count}));
  std::vector<double> counts(static_cast<std::size_t>(wave * H)), params(static_cast<std::size_t>(wave * P));
  std::vector<double> row(static_cast<std::size_t>(P));
  const auto start = std::chrono::steady_clock::now();
  double last_report = -1;
  for (std::int64_t first = 0; first < options.count; first += wave) {
    const std::int64_t n = std::min(wave, options.count - first);
    simulate_block(setup, model, priors, options.seed, first, n, counts.data(), params.data());
    for (std::int64_t s = 0; s < n; ++s) {
      row.assign(params.begin() + s * P, params.begin() + (s + 1) * P);
      writer.append(counts.data() + s * H, setup.exposure_s, row, setup.backscal, setup.areascal);
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::int64_t done = first + n;
    if (options.progress && (elapsed - last_report >= 1.0 || done == options.count)) {
      const double rate = done / std::max(elapsed, 1e-9);
      std::fprintf(stderr, "simulate: %lld/%lld spectra, %.0f spectra/s, ETA %.1f s\n",
                   static_cast<long long>(done), static_cast<long long>(options.count), rate,
                   (options.count - done) / rate);
      last_report = elapsed;
    }
  }
  writer.close();
}

}  // namespace specnet::sim
