// Energy grids: linear/log bin edges, spec parsing and validation with clear errors.
// The spec mirrors XSPEC's `energies lo hi nbins log|lin` command.
#include "specnet/sim/energy_grid.h"

#include <cctype>
#include <cmath>
#include <sstream>

#include "specnet/error.h"
#include "specnet/io/parse_number.h"

namespace specnet::sim {

namespace {
void check_range(double lo_kev, double hi_kev, std::int64_t E, const char* what) {
  SPECNET_CHECK(E >= 1, what, ": need at least one bin, got ", E);
  SPECNET_CHECK(std::isfinite(lo_kev) && std::isfinite(hi_kev) && lo_kev < hi_kev, what,
                ": need finite lo < hi, got lo=", lo_kev, " hi=", hi_kev);
}
}  // namespace

std::vector<double> linear_grid(double lo_kev, double hi_kev, std::int64_t E) {
  check_range(lo_kev, hi_kev, E, "linear_grid");
  std::vector<double> edges(E + 1);  // (E+1)
  const double step = (hi_kev - lo_kev) / static_cast<double>(E);
  for (std::int64_t i = 0; i <= E; ++i) edges[i] = lo_kev + step * static_cast<double>(i);
  edges[E] = hi_kev;  // exact end point despite rounding
  return edges;
}

std::vector<double> log_grid(double lo_kev, double hi_kev, std::int64_t E) {
  check_range(lo_kev, hi_kev, E, "log_grid");
  SPECNET_CHECK(lo_kev > 0, "log_grid: lower edge must be > 0 keV, got ", lo_kev);
  std::vector<double> edges(E + 1);  // (E+1)
  const double l0 = std::log(lo_kev), step = (std::log(hi_kev) - l0) / static_cast<double>(E);
  for (std::int64_t i = 0; i <= E; ++i) edges[i] = std::exp(l0 + step * static_cast<double>(i));
  edges[0] = lo_kev;
  edges[E] = hi_kev;
  return edges;
}

std::vector<double> parse_energy_grid(const std::string& spec) {
  std::string s = spec;
  for (char& c : s)
    if (c == ':' || c == ',') c = ' ';
  std::istringstream is(s);
  std::vector<std::string> fields;
  for (std::string f; is >> f;) fields.push_back(f);
  SPECNET_CHECK(fields.size() == 3 || fields.size() == 4, "energy grid spec '", spec,
                "': expected lo:hi:nbins[:lin|log], e.g. 0.3:80:2000:log");
  auto number = [&](const std::string& f, const char* what) {
    return io::parse_finite_double(f, str("energy grid spec '", spec, "': ", what));
  };
  const double lo = number(fields[0], "lower energy"), hi = number(fields[1], "upper energy");
  const double n = number(fields[2], "bin count");
  // 10^7 bins (80 MB of edges) is far beyond any response; a larger count is a typo, not a grid.
  SPECNET_CHECK(n >= 1 && n == std::floor(n) && n <= 1e7, "energy grid spec '", spec,
                "': bin count must be a whole number in [1, 10^7], got ", fields[2]);
  std::string mode = fields.size() == 4 ? fields[3] : "lin";
  for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (mode == "log") return log_grid(lo, hi, static_cast<std::int64_t>(n));
  SPECNET_CHECK(mode == "lin" || mode == "linear", "energy grid spec '", spec, "': spacing must be lin or log, got '",
                fields[3], "'");
  return linear_grid(lo, hi, static_cast<std::int64_t>(n));
}

void validate_energy_edges(const double* edges_kev, std::int64_t n_edges, const std::string& what) {
  SPECNET_CHECK(edges_kev != nullptr && n_edges >= 2, what, ": need at least 2 bin edges, got ", n_edges);
  for (std::int64_t i = 0; i < n_edges; ++i) {
    SPECNET_CHECK(std::isfinite(edges_kev[i]) && edges_kev[i] > 0, what, ": edge ", i, " is ", edges_kev[i],
                  " keV; edges must be finite and > 0");
    SPECNET_CHECK(i == 0 || edges_kev[i] > edges_kev[i - 1], what, ": edges must be strictly increasing, but edge ", i,
                  " (", edges_kev[i], " keV) <= edge ", i - 1, " (", edges_kev[i - 1], " keV)");
  }
}

}  // namespace specnet::sim
