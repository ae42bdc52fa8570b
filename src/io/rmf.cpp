// OGIP RMF reader/writer (MATRIX or SPECRESP MATRIX + EBOUNDS, CAL/GEN/92-002) and sparse folding.
// Group expansion (N_GRP, F_CHAN, N_CHAN) happens here, as XSPEC's reader does, so folding is one CSR pass.
#include "specnet/io/rmf.h"

#include <cmath>

#include "fits_file.h"
#include "ogip_checks.h"
#include "specnet/error.h"

namespace specnet::io {
namespace {

// Reads elements [0, n) of one row of a column that may be a scalar, a fixed array or a variable array;
// the stored length must hold n elements.
void read_row_ints(detail::FitsFile& f, int col, long long row, long long n, const char* name,
                   std::vector<long long>& out) {
  const long long stored = f.column_is_variable(col) ? f.variable_length(col, row) : f.column_repeat(col);
  if (stored < n) f.fail(str("row ", row, ": ", name, " holds ", stored, " elements but ", n, " are needed"));
  out.resize(static_cast<std::size_t>(n));
  f.read_ints(col, row, 1, n, out.data());
}

void read_ebounds(detail::FitsFile& f, Rmf& rmf, bool have_tlmin) {
  f.move_to_any({"EBOUNDS"});
  const auto channel = f.read_column_ints(f.require_column("CHANNEL"));
  rmf.channel_e_min_kev = f.read_column_doubles(f.require_column("E_MIN"));
  rmf.channel_e_max_kev = f.read_column_doubles(f.require_column("E_MAX"));
  if (channel.empty()) f.fail("no channels");
  if (!have_tlmin) rmf.first_channel = static_cast<int>(channel[0]);
  for (std::size_t i = 0; i < channel.size(); ++i)
    if (channel[i] != rmf.first_channel + static_cast<long long>(i))
      f.fail(str("CHANNEL in row ", i + 1, " is ", channel[i], ", expected ", rmf.first_channel + (long long)i,
                 " (channels must run consecutively from the matrix's first channel ", rmf.first_channel, ")"));
  detail::check_energy_grid(rmf.channel_e_min_kev, rmf.channel_e_max_kev, f.path() + " [EBOUNDS]", "E_MIN", "E_MAX");
}

// Keywords shared by MATRIX and EBOUNDS; `channel_col` is the column whose TLMIN/TLMAX give the channel range.
void write_common_keys(detail::FitsFile& f, const Rmf& rmf, int channel_col, const char* hduclas2,
                       const char* hduclas2_comment) {
  const auto n_h = static_cast<long long>(rmf.num_channels());
  f.write_key(str("TLMIN", channel_col), rmf.first_channel, "first channel number");
  f.write_key(str("TLMAX", channel_col), rmf.first_channel + n_h - 1, "last channel number");
  detail::write_instrument_keys(f, rmf.telescop, rmf.instrume, rmf.filter, rmf.chantype);
  f.write_key("DETCHANS", n_h, "number of detector channels");
  f.write_key("HDUCLASS", "OGIP", "format conforms to OGIP standard");
  f.write_key("HDUCLAS1", "RESPONSE", "dataset relates to spectral response");
  f.write_key("HDUCLAS2", hduclas2, hduclas2_comment);
}

Rmf read_rmf_from(detail::FitsFile& f) {
  Rmf rmf;
  f.move_to_any({"MATRIX", "SPECRESP MATRIX"});
  const std::string matrix_ext = f.extname();
  const std::string where = f.path() + " [" + matrix_ext + "]";
  rmf.energy_lo_kev = f.read_column_doubles(f.require_column("ENERG_LO"));
  rmf.energy_hi_kev = f.read_column_doubles(f.require_column("ENERG_HI"));
  detail::check_energy_grid(rmf.energy_lo_kev, rmf.energy_hi_kev, where, "ENERG_LO", "ENERG_HI");
  const int c_ngrp = f.require_column("N_GRP");
  const int c_fchan = f.require_column("F_CHAN");
  const int c_nchan = f.require_column("N_CHAN");
  const int c_matrix = f.require_column("MATRIX");
  const auto n_grp = f.read_column_ints(c_ngrp);
  const std::string tlmin_key = str("TLMIN", c_fchan);
  const bool have_tlmin = f.has_key(tlmin_key);
  if (have_tlmin) rmf.first_channel = static_cast<int>(f.key_int_or(tlmin_key, 1));
  const long long detchans = f.key_int_or("DETCHANS", -1);
  rmf.telescop = f.key_string_or("TELESCOP", "UNKNOWN");
  rmf.instrume = f.key_string_or("INSTRUME", "UNKNOWN");
  rmf.filter = f.key_string_or("FILTER", "NONE");
  rmf.chantype = f.key_string_or("CHANTYPE", "PI");
  rmf.lo_thres = f.key_double_or("LO_THRES", 0);
  rmf.includes_area = matrix_ext == "SPECRESP MATRIX" || f.key_string_or("HDUCLAS3", "") == "FULL";

  // EBOUNDS fixes the channel count (and the first channel when TLMIN is absent) before groups are expanded.
  auto matrix_hdu_rows = static_cast<long long>(rmf.energy_lo_kev.size());
  read_ebounds(f, rmf, have_tlmin);
  const auto n_channels = static_cast<long long>(rmf.channel_e_min_kev.size());
  if (detchans >= 0 && detchans != n_channels)
    throw Error(str(where, ": DETCHANS ", detchans, " but EBOUNDS has ", n_channels, " channels"));
  f.move_to(matrix_ext);

  rmf.row_start.assign(1, 0);
  std::vector<long long> fchan, nchan;
  std::vector<double> row_values;
  for (long long r = 1; r <= matrix_hdu_rows; ++r) {
    const long long groups = n_grp[static_cast<std::size_t>(r - 1)];
    if (groups < 0 || groups > n_channels) f.fail(str("row ", r, ": N_GRP ", groups, " out of range"));
    read_row_ints(f, c_fchan, r, groups, "F_CHAN", fchan);
    read_row_ints(f, c_nchan, r, groups, "N_CHAN", nchan);
    long long total = 0;
    for (long long g = 0; g < groups; ++g) {
      const long long lo = fchan[g] - rmf.first_channel, n = nchan[g];
      if (n < 0 || lo < 0 || lo + n > n_channels)
        f.fail(str("row ", r, " group ", g + 1, ": channels ", fchan[g], "..", fchan[g] + n - 1,
                   " outside the ", n_channels, " channels starting at ", rmf.first_channel));
      total += n;
    }
    const long long stored = f.column_is_variable(c_matrix) ? f.variable_length(c_matrix, r) : f.column_repeat(c_matrix);
    if (stored < total) f.fail(str("row ", r, ": MATRIX holds ", stored, " values but N_CHAN sums to ", total));
    row_values.resize(static_cast<std::size_t>(total));
    f.read_doubles(c_matrix, r, 1, total, row_values.data());
    long long k = 0;
    for (long long g = 0; g < groups; ++g)
      for (long long j = 0; j < nchan[g]; ++j, ++k) {
        const double v = row_values[static_cast<std::size_t>(k)];
        if (!std::isfinite(v)) f.fail(str("row ", r, ": MATRIX value is not finite (", v, ")"));
        if (v == 0) continue;  // sparse storage: zero padding inside a group costs folding time
        rmf.channel_index.push_back(static_cast<std::int32_t>(fchan[g] - rmf.first_channel + j));
        rmf.value.push_back(v);
      }
    rmf.row_start.push_back(static_cast<std::int64_t>(rmf.value.size()));
  }
  return rmf;
}

}  // namespace

void validate(const Rmf& rmf, const std::string& name) {
  detail::check_energy_grid(rmf.energy_lo_kev, rmf.energy_hi_kev, name + " [MATRIX]", "ENERG_LO", "ENERG_HI");
  detail::check_energy_grid(rmf.channel_e_min_kev, rmf.channel_e_max_kev, name + " [EBOUNDS]", "E_MIN", "E_MAX");
  const std::size_t n_e = rmf.num_energies(), n_h = rmf.num_channels();
  SPECNET_CHECK(rmf.row_start.size() == n_e + 1, name, ": row_start has ", rmf.row_start.size(),
                " entries for ", n_e, " energies (need E+1)");
  SPECNET_CHECK(rmf.row_start.front() == 0 && static_cast<std::size_t>(rmf.row_start.back()) == rmf.value.size() &&
                    rmf.channel_index.size() == rmf.value.size(),
                name, ": inconsistent CSR arrays");
  for (std::size_t e = 0; e < n_e; ++e)
    SPECNET_CHECK(rmf.row_start[e] <= rmf.row_start[e + 1], name, ": row_start decreases at energy ", e);
  for (std::size_t k = 0; k < rmf.value.size(); ++k) {
    SPECNET_CHECK(rmf.channel_index[k] >= 0 && static_cast<std::size_t>(rmf.channel_index[k]) < n_h, name,
                  ": channel index ", rmf.channel_index[k], " outside [0, ", n_h, ")");
    SPECNET_CHECK(std::isfinite(rmf.value[k]), name, ": matrix value ", k, " is not finite");
  }
}

Rmf read_rmf(const std::string& path) {
  auto f = detail::FitsFile::open_read(path);
  return read_rmf_from(f);
}

Rmf read_rmf_bytes(const void* data, std::size_t size, const std::string& name) {
  auto f = detail::FitsFile::open_memory(data, size, name);
  return read_rmf_from(f);
}

void set_dense_matrix(Rmf& rmf, const std::vector<double>& dense, double threshold) {
  const std::size_t n_e = rmf.num_energies(), n_h = rmf.num_channels();
  SPECNET_CHECK(dense.size() == n_e * n_h, "set_dense_matrix: dense has ", dense.size(), " values, expected E*H = ",
                n_e, "*", n_h);
  rmf.row_start.assign(1, 0);
  rmf.channel_index.clear();
  rmf.value.clear();
  for (std::size_t e = 0; e < n_e; ++e) {
    for (std::size_t h = 0; h < n_h; ++h) {
      const double v = dense[e * n_h + h];
      SPECNET_CHECK(std::isfinite(v), "set_dense_matrix: non-finite value at energy ", e, " channel ", h);
      if (std::fabs(v) > threshold) {
        rmf.channel_index.push_back(static_cast<std::int32_t>(h));
        rmf.value.push_back(v);
      }
    }
    rmf.row_start.push_back(static_cast<std::int64_t>(rmf.value.size()));
  }
}

void write_rmf(const std::string& path, const Rmf& rmf) {
  validate(rmf, path);
  const auto n_e = static_cast<long long>(rmf.num_energies());
  const auto n_h = static_cast<long long>(rmf.num_channels());
  auto f = detail::FitsFile::create(path);
  const std::string extname = rmf.includes_area ? "SPECRESP MATRIX" : "MATRIX";
  f.create_table(extname, n_e, {"ENERG_LO", "ENERG_HI", "N_GRP", "F_CHAN", "N_CHAN", "MATRIX"},
                 {"1D", "1D", "1J", "1PJ", "1PJ", "1PD"}, {"keV", "keV", "", "", "", rmf.includes_area ? "cm**2" : ""});
  f.write_doubles(1, 1, 1, n_e, rmf.energy_lo_kev.data());
  f.write_doubles(2, 1, 1, n_e, rmf.energy_hi_kev.data());
  std::vector<long long> fchan, nchan;
  std::vector<double> values;
  for (long long e = 0; e < n_e; ++e) {
    // One group per run of consecutive channel indices (entries are written in stored order).
    fchan.clear();
    nchan.clear();
    values.clear();
    for (auto k = rmf.row_start[e]; k < rmf.row_start[e + 1]; ++k) {
      const long long ch = rmf.channel_index[k] + static_cast<long long>(rmf.first_channel);
      if (fchan.empty() || ch != fchan.back() + nchan.back()) {
        fchan.push_back(ch);
        nchan.push_back(0);
      }
      ++nchan.back();
      values.push_back(rmf.value[k]);
    }
    const long long groups = static_cast<long long>(fchan.size());
    f.write_ints(3, e + 1, 1, 1, &groups);
    f.write_ints(4, e + 1, 1, groups, fchan.data());
    f.write_ints(5, e + 1, 1, groups, nchan.data());
    f.write_doubles(6, e + 1, 1, static_cast<long long>(values.size()), values.data());
  }
  write_common_keys(f, rmf, 4, "RSP_MATRIX", "dataset is a spectral response matrix");
  f.write_key("LO_THRES", rmf.lo_thres, "values below this were not stored");
  f.write_key("HDUCLAS3", rmf.includes_area ? "FULL" : "REDIST", "REDIST: no effective area; FULL: includes it");
  f.write_key("HDUVERS", "1.3.0", "version of format (OGIP memo CAL/GEN/92-002a)");
  f.finish_hdu();

  f.create_table("EBOUNDS", n_h, {"CHANNEL", "E_MIN", "E_MAX"}, {"1J", "1D", "1D"}, {"", "keV", "keV"});
  std::vector<long long> channel(static_cast<std::size_t>(n_h));  // (H)
  for (long long h = 0; h < n_h; ++h) channel[h] = rmf.first_channel + h;
  f.write_ints(1, 1, 1, n_h, channel.data());
  f.write_doubles(2, 1, 1, n_h, rmf.channel_e_min_kev.data());
  f.write_doubles(3, 1, 1, n_h, rmf.channel_e_max_kev.data());
  write_common_keys(f, rmf, 1, "EBOUNDS", "nominal energy bounds of the channels");
  f.write_key("HDUVERS", "1.2.0", "version of format (OGIP memo CAL/GEN/92-002a)");
  f.finish_hdu();
}

void fold_into(const Rmf& rmf, const double* in, double* out) {
  const std::size_t n_e = rmf.num_energies(), n_h = rmf.num_channels();
  for (std::size_t h = 0; h < n_h; ++h) out[h] = 0;
  for (std::size_t e = 0; e < n_e; ++e) {
    const double x = in[e];
    if (x == 0) continue;
    for (auto k = rmf.row_start[e]; k < rmf.row_start[e + 1]; ++k) out[rmf.channel_index[k]] += rmf.value[k] * x;
  }
}

std::vector<double> fold(const Rmf& rmf, const std::vector<double>& photons_per_bin_times_arf) {
  SPECNET_CHECK(photons_per_bin_times_arf.size() == rmf.num_energies(), "fold: input has ",
                photons_per_bin_times_arf.size(), " energy bins but the RMF has ", rmf.num_energies());
  SPECNET_CHECK(rmf.row_start.size() == rmf.num_energies() + 1, "fold: RMF has no matrix rows (row_start)");
  std::vector<double> out(rmf.num_channels());  // (H)
  fold_into(rmf, photons_per_bin_times_arf.data(), out.data());
  return out;
}

}  // namespace specnet::io
