// Built-in NuSTAR / NICER responses (Gaussian RMF on the real PI grid x embedded ARF tables) and loading of
// user RMF/ARF files; matches XSPEC's folding of RMF x ARF.
#include "specnet/sim/instrument.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "specnet/error.h"
#include "specnet/sim/energy_grid.h"

namespace specnet::sim {
namespace {

#include "response_tables.inc"

struct AreaTable {
  const char* name;
  const double* energy_kev;
  const double* area;
  int n;
};

const AreaTable kTables[] = {
    {"nustar", kNustarArfEnergyKev, kNustarArfArea, kNustarArfN},
    {"nicer", kNicerArfEnergyKev, kNicerArfArea, kNicerArfN},
    {"nustar_be", kNustarBeArfEnergyKev, kNustarBeArfArea, kNustarBeArfN},
    {"nustar_fcxb", kNustarFcxbArfEnergyKev, kNustarFcxbArfArea, kNustarFcxbArfN},
};

const AreaTable& find_table(const std::string& name) {
  for (const auto& t : kTables)
    if (name == t.name) return t;
  throw Error(str("unknown effective-area table '", name, "' (known: nustar, nicer, nustar_be, nustar_fcxb)"));
}

double interpolate(const AreaTable& t, double e) {
  if (!(e >= t.energy_kev[0]) || e > t.energy_kev[t.n - 1]) {
    // Beyond the first/last knot (half a bin from the ARF's edges): hold the end value within that half bin.
    const double half_bin = 0.5 * (t.energy_kev[1] - t.energy_kev[0]);
    if (e >= t.energy_kev[0] - half_bin && e < t.energy_kev[0]) return t.area[0];
    const double half_top = 0.5 * (t.energy_kev[t.n - 1] - t.energy_kev[t.n - 2]);
    if (e > t.energy_kev[t.n - 1] && e <= t.energy_kev[t.n - 1] + half_top) return t.area[t.n - 1];
    return 0.0;
  }
  const double* hi = std::upper_bound(t.energy_kev, t.energy_kev + t.n, e);
  if (hi == t.energy_kev + t.n) return t.area[t.n - 1];
  const int j = static_cast<int>(hi - t.energy_kev);
  const double w = (e - t.energy_kev[j - 1]) / (t.energy_kev[j] - t.energy_kev[j - 1]);
  return t.area[j - 1] + w * (t.area[j] - t.area[j - 1]);
}

std::vector<double> uniform_edges(double lo, double width, int n) {
  std::vector<double> edges(n + 1);  // (n+1)
  for (int i = 0; i <= n; ++i) edges[i] = lo + width * i;
  return edges;
}

InstrumentResponse make_builtin(const std::string& name, const std::vector<double>& energy_edges,
                                const std::vector<double>& channel_edges, const GaussianResolution& res,
                                const char* telescop, const char* instrume) {
  InstrumentResponse r;
  r.name = name;
  r.rmf = gaussian_rmf(energy_edges, channel_edges, 0, res);
  r.rmf.telescop = telescop;
  r.rmf.instrume = instrume;
  r.arf.energy_lo_kev.assign(energy_edges.begin(), energy_edges.end() - 1);
  r.arf.energy_hi_kev.assign(energy_edges.begin() + 1, energy_edges.end());
  r.arf.area_cm2 = builtin_area_on_grid(name, energy_edges);
  r.arf.telescop = telescop;
  r.arf.instrume = instrume;
  return r;
}

}  // namespace

double GaussianResolution::fwhm_kev(double e) const { return std::sqrt(std::max(a_kev2 + b_kev * e, 0.0)); }
double GaussianResolution::sigma_kev(double e) const { return fwhm_kev(e) / 2.3548200450309493; }

GaussianResolution GaussianResolution::through(double e1, double f1, double e2, double f2) {
  SPECNET_CHECK(std::isfinite(e1) && std::isfinite(e2) && std::isfinite(f1) && std::isfinite(f2) && e2 > e1 &&
                    e1 > 0 && f1 > 0 && f2 > 0,
                "GaussianResolution::through: need 0 < e1 < e2 and positive FWHMs, got (", e1, ", ", f1, "), (", e2,
                ", ", f2, ")");
  GaussianResolution r;
  r.b_kev = (f2 * f2 - f1 * f1) / (e2 - e1);
  r.a_kev2 = f1 * f1 - r.b_kev * e1;  // FWHM^2 is linear, so positive on [e1, e2]; gaussian_rmf checks elsewhere
  return r;
}

GaussianResolution nustar_resolution() { return GaussianResolution::through(6.0, 0.4, 60.0, 0.9); }
GaussianResolution nicer_resolution() { return GaussianResolution::through(1.0, 0.085, 6.0, 0.137); }

io::Rmf gaussian_rmf(const std::vector<double>& energy_edges_kev, const std::vector<double>& channel_edges_kev,
                     int first_channel, const GaussianResolution& resolution, double truncate_sigma) {
  validate_energy_edges(energy_edges_kev, "gaussian_rmf energy grid");
  SPECNET_CHECK(channel_edges_kev.size() >= 2, "gaussian_rmf: need at least one channel");
  for (std::size_t h = 1; h < channel_edges_kev.size(); ++h)
    SPECNET_CHECK(std::isfinite(channel_edges_kev[h]) && channel_edges_kev[h] > channel_edges_kev[h - 1],
                  "gaussian_rmf: channel edges must be finite and strictly increasing (edge ", h, ")");
  SPECNET_CHECK(std::isfinite(truncate_sigma) && truncate_sigma >= 1, "gaussian_rmf: truncate_sigma must be >= 1");
  const std::size_t E = energy_edges_kev.size() - 1, H = channel_edges_kev.size() - 1;
  io::Rmf rmf;
  rmf.first_channel = first_channel;
  rmf.energy_lo_kev.assign(energy_edges_kev.begin(), energy_edges_kev.end() - 1);
  rmf.energy_hi_kev.assign(energy_edges_kev.begin() + 1, energy_edges_kev.end());
  rmf.channel_e_min_kev.assign(channel_edges_kev.begin(), channel_edges_kev.end() - 1);
  rmf.channel_e_max_kev.assign(channel_edges_kev.begin() + 1, channel_edges_kev.end());
  rmf.row_start.assign(1, 0);
  const double* ch = channel_edges_kev.data();
  std::vector<double> row;  // (channels of one row)
  for (std::size_t e = 0; e < E; ++e) {
    const double centre = 0.5 * (energy_edges_kev[e] + energy_edges_kev[e + 1]);
    const double sigma = resolution.sigma_kev(centre);
    SPECNET_CHECK(sigma > 0, "gaussian_rmf: resolution gives FWHM <= 0 at ", centre, " keV");
    const double lo = centre - truncate_sigma * sigma, hi = centre + truncate_sigma * sigma;
    // Channels overlapping [lo, hi]: first with upper edge > lo, last with lower edge < hi.
    const std::size_t h0 = static_cast<std::size_t>(std::upper_bound(ch + 1, ch + H + 1, lo) - (ch + 1));
    const std::size_t h1 = static_cast<std::size_t>(std::lower_bound(ch, ch + H, hi) - ch);  // exclusive
    row.clear();
    double sum = 0;
    const double inv = 1.0 / (std::sqrt(2.0) * sigma);
    for (std::size_t h = h0; h < h1; ++h) {
      const double a = std::max(ch[h], lo), b = std::min(ch[h + 1], hi);
      const double p = b > a ? 0.5 * (std::erf((b - centre) * inv) - std::erf((a - centre) * inv)) : 0.0;
      row.push_back(p);
      sum += p;
    }
    const bool inside = centre >= ch[0] && centre < ch[H];
    const double scale = inside && sum > 0 ? 1.0 / sum : 1.0;
    for (std::size_t k = 0; k < row.size(); ++k) {
      if (row[k] <= 0) continue;
      rmf.channel_index.push_back(static_cast<std::int32_t>(h0 + k));
      rmf.value.push_back(row[k] * scale);
    }
    rmf.row_start.push_back(static_cast<std::int64_t>(rmf.value.size()));
  }
  return rmf;
}

double builtin_area_cm2(const std::string& table, double energy_kev) {
  SPECNET_CHECK(std::isfinite(energy_kev), "builtin_area_cm2: energy is not finite");
  return interpolate(find_table(table), energy_kev);
}

std::vector<double> builtin_area_on_grid(const std::string& table, const std::vector<double>& energy_edges_kev) {
  validate_energy_edges(energy_edges_kev, "builtin_area_on_grid energy grid");
  const AreaTable& t = find_table(table);
  std::vector<double> area(energy_edges_kev.size() - 1);  // (E)
  for (std::size_t e = 0; e < area.size(); ++e)
    area[e] = interpolate(t, 0.5 * (energy_edges_kev[e] + energy_edges_kev[e + 1]));
  return area;
}

io::SparseResponse InstrumentResponse::matrix() const {
  // XSPEC accepts an ARF whose grid only matches the RMF's in length (nuskybgd's files); so do we.
  return io::SparseResponse::build(rmf, has_arf() ? &arf : nullptr, nullptr, io::GridCheck::count_only);
}

std::vector<double> InstrumentResponse::energy_edges_kev() const {
  std::vector<double> edges(rmf.energy_lo_kev);
  edges.push_back(rmf.energy_hi_kev.back());
  return edges;
}

InstrumentResponse builtin_response(const std::string& name) {
  if (name == "nustar")
    return make_builtin(name, uniform_edges(1.6, 0.04, 4096), uniform_edges(1.6, 0.04, 4096), nustar_resolution(),
                        "NuSTAR", "FPMA");
  if (name == "nicer")
    return make_builtin(name, uniform_edges(0.1, 0.005, 3980), uniform_edges(0.0, 0.01, 1501), nicer_resolution(),
                        "NICER", "XTI");
  throw Error(str("unknown built-in response '", name, "' (known: nustar, nicer; or give RMF[,ARF] file paths)"));
}

InstrumentResponse load_response(const std::string& spec) {
  SPECNET_CHECK(!spec.empty(), "load_response: empty response (use nustar, nicer or RMF[,ARF])");
  if (spec == "nustar" || spec == "nicer") return builtin_response(spec);
  InstrumentResponse r;
  const auto comma = spec.find(',');
  const std::string rmf_path = spec.substr(0, comma);
  SPECNET_CHECK(std::filesystem::is_regular_file(rmf_path), "unknown response '", spec,
                "': not a built-in response (nustar, nicer) and no RMF file '", rmf_path, "'");
  r.name = rmf_path;
  r.rmf = io::read_rmf(rmf_path);
  if (comma != std::string::npos) {
    const std::string arf_path = spec.substr(comma + 1);
    SPECNET_CHECK(!arf_path.empty(), "load_response: empty ARF path in '", spec, "'");
    SPECNET_CHECK(!r.rmf.includes_area, "load_response: '", rmf_path,
                  "' is a SPECRESP MATRIX that already includes the effective area; give it without an ARF");
    r.arf = io::read_arf(arf_path);
    io::check_compatible(r.rmf, rmf_path, r.arf, arf_path, io::GridCheck::count_only);
  }
  return r;
}

}  // namespace specnet::sim
