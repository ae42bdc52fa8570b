// SparseResponse: RMF x ARF x grouping precomputed as a channel-major CSR matrix, and the PHA/RMF/ARF
// compatibility checks XSPEC applies when loading a response (same bins, same channels).
#include "specnet/io/response.h"

#include <cmath>

#include "specnet/error.h"

namespace specnet::io {

void check_compatible(const Rmf& rmf, const std::string& rmf_name, const Arf& arf, const std::string& arf_name,
                      GridCheck check) {
  SPECNET_CHECK(arf.num_energies() == rmf.num_energies(), "energy grid mismatch: ", arf_name, " has ",
                arf.num_energies(), " energy bins but ", rmf_name, " has ", rmf.num_energies());
  if (check == GridCheck::count_only) return;
  auto close = [](double a, double b) { return std::fabs(a - b) <= 1e-5 * std::fmax(std::fabs(a), std::fabs(b)) + 1e-9; };
  for (std::size_t e = 0; e < arf.num_energies(); ++e)
    SPECNET_CHECK(close(arf.energy_lo_kev[e], rmf.energy_lo_kev[e]) && close(arf.energy_hi_kev[e], rmf.energy_hi_kev[e]),
                  "energy grid mismatch: bin ", e, " of ", arf_name, " is [", arf.energy_lo_kev[e], ", ",
                  arf.energy_hi_kev[e], "] keV but ", rmf_name, " has [", rmf.energy_lo_kev[e], ", ",
                  rmf.energy_hi_kev[e], "] keV");
}

void check_compatible(const Spectrum& spectrum, const std::string& pha_name, const Rmf& rmf,
                      const std::string& rmf_name) {
  const auto& h = spectrum.header;
  SPECNET_CHECK(static_cast<std::size_t>(h.detchans) == rmf.num_channels(), "channel mismatch: ", pha_name, " has ",
                h.detchans, " channels (DETCHANS) but ", rmf_name, " has ", rmf.num_channels());
  SPECNET_CHECK(spectrum.num_channels() == rmf.num_channels(), "channel mismatch: ", pha_name, " lists ",
                spectrum.num_channels(), " channels but ", rmf_name, " has ", rmf.num_channels());
  SPECNET_CHECK(h.first_channel == rmf.first_channel, "channel mismatch: ", pha_name, " starts at channel ",
                h.first_channel, " but ", rmf_name, " at ", rmf.first_channel);
}

SparseResponse SparseResponse::build(const Rmf& rmf, const Arf* arf, const Grouping* grouping, GridCheck check) {
  validate(rmf, "SparseResponse::build (RMF)");
  if (arf) check_compatible(rmf, "RMF", *arf, "ARF", check);
  const std::size_t n_e = rmf.num_energies(), n_h = rmf.num_channels();
  if (grouping)
    SPECNET_CHECK(grouping->num_channels() == n_h, "channel mismatch: grouping has ", grouping->num_channels(),
                  " channels but the RMF has ", n_h);
  // Output of every channel: its group, or itself; -1 drops it (bad quality).
  std::vector<int> out_of(n_h);  // (H)
  std::size_t n_out = n_h;
  if (grouping) {
    out_of = grouping->group_of_channel;
    n_out = grouping->num_groups;
  } else {
    for (std::size_t h = 0; h < n_h; ++h) out_of[h] = static_cast<int>(h);
  }

  SparseResponse r;
  r.energy_lo_kev = rmf.energy_lo_kev;
  r.energy_hi_kev = rmf.energy_hi_kev;
  r.output_e_min_kev.assign(n_out, INFINITY);
  r.output_e_max_kev.assign(n_out, -INFINITY);
  for (std::size_t h = 0; h < n_h; ++h)
    if (out_of[h] >= 0) {
      r.output_e_min_kev[out_of[h]] = std::fmin(r.output_e_min_kev[out_of[h]], rmf.channel_e_min_kev[h]);
      r.output_e_max_kev[out_of[h]] = std::fmax(r.output_e_max_kev[out_of[h]], rmf.channel_e_max_kev[h]);
    }

  // Counting sort of the energy-major RMF entries by output; energies stay ascending within each output,
  // and several channels of one group at the same energy merge into one entry.
  std::vector<std::int64_t> count(n_out + 1, 0);  // (O+1)
  for (std::size_t k = 0; k < rmf.num_nonzero(); ++k)
    if (out_of[rmf.channel_index[k]] >= 0) ++count[out_of[rmf.channel_index[k]] + 1];
  for (std::size_t o = 0; o < n_out; ++o) count[o + 1] += count[o];
  std::vector<std::int32_t> e_idx(static_cast<std::size_t>(count[n_out]));  // (entries)
  std::vector<double> vals(e_idx.size());
  std::vector<std::int64_t> fill(count.begin(), count.end() - 1);  // (O)
  for (std::size_t e = 0; e < n_e; ++e) {
    const double area = arf ? arf->area_cm2[e] : 1.0;
    for (auto k = rmf.row_start[e]; k < rmf.row_start[e + 1]; ++k) {
      const int o = out_of[rmf.channel_index[k]];
      if (o < 0) continue;
      e_idx[fill[o]] = static_cast<std::int32_t>(e);
      vals[fill[o]++] = rmf.value[k] * area;
    }
  }
  r.row_start.assign(1, 0);
  for (std::size_t o = 0; o < n_out; ++o) {
    for (auto k = count[o]; k < count[o + 1]; ++k) {
      if (r.row_start.back() < static_cast<std::int64_t>(r.value.size()) && r.energy_index.back() == e_idx[k]) {
        r.value.back() += vals[k];
        continue;
      }
      r.energy_index.push_back(e_idx[k]);
      r.value.push_back(vals[k]);
    }
    r.row_start.push_back(static_cast<std::int64_t>(r.value.size()));
  }
  return r;
}

void SparseResponse::fold_into(double* out, const double* in) const {
  const std::size_t n_out = num_outputs();
  for (std::size_t o = 0; o < n_out; ++o) {
    double acc = 0;
    for (auto k = row_start[o]; k < row_start[o + 1]; ++k) acc += value[k] * in[energy_index[k]];
    out[o] = acc;
  }
}

void SparseResponse::fold_into(std::vector<double>& out, const std::vector<double>& in) const {
  SPECNET_CHECK(in.size() == num_energies(), "SparseResponse::fold_into: ", in.size(), " energy bins given, response has ",
                num_energies());
  out.resize(num_outputs());
  fold_into(out.data(), in.data());
}

void SparseResponse::fold_backward(double* d_in, const double* d_out) const {
  const std::size_t n_out = num_outputs();
  for (std::size_t o = 0; o < n_out; ++o)
    for (auto k = row_start[o]; k < row_start[o + 1]; ++k) d_in[energy_index[k]] += value[k] * d_out[o];
}

}  // namespace specnet::io
