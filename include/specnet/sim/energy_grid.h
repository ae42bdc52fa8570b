// Energy grids for model evaluation: linear/log bin edges and XSPEC `energies`-style specs.
// "0.3:80:2000:log" = 2000 log-spaced bins from 0.3 to 80 keV (XSPEC: `energies 0.3 80 2000 log`).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace specnet::sim {

// E+1 edges (keV) of E equal-width bins on [lo_kev, hi_kev].
std::vector<double> linear_grid(double lo_kev, double hi_kev, std::int64_t E);
// E+1 edges (keV) of E bins equally spaced in log E on [lo_kev, hi_kev] (lo_kev > 0).
std::vector<double> log_grid(double lo_kev, double hi_kev, std::int64_t E);
// Parses "lo:hi:nbins[:lin|log]" (default lin; ':' or whitespace separated) into edges.
std::vector<double> parse_energy_grid(const std::string& spec);

// Error (naming `what`) unless there are >= 2 edges, all finite, > 0 and strictly increasing.
void validate_energy_edges(const double* edges_kev, std::int64_t n_edges, const std::string& what = "energy grid");
inline void validate_energy_edges(const std::vector<double>& edges_kev, const std::string& what = "energy grid") {
  validate_energy_edges(edges_kev.data(), static_cast<std::int64_t>(edges_kev.size()), what);
}

}  // namespace specnet::sim
