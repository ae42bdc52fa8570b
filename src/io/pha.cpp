// OGIP PHA Type I reader/writer (SPECTRUM extension, OGIP/92-007) over CFITSIO, accepting what XSPEC
// accepts: COUNTS or RATE, optional STAT_ERR/SYS_ERR/QUALITY/GROUPING as columns or constant keywords.
#include "specnet/io/pha.h"

#include <cmath>

#include "fits_file.h"
#include "ogip_checks.h"
#include "pha_common.h"
#include "specnet/error.h"

namespace specnet::io {
namespace {

std::vector<int> to_int(const std::vector<long long>& v) { return std::vector<int>(v.begin(), v.end()); }

// An optional scalar column, or a constant keyword of the same name standing for it (0 means "none").
template <typename T, typename Read>
std::vector<T> column_or_keyword(detail::FitsFile& f, const std::string& name, long long rows, Read read) {
  if (const int c = f.column(name)) {
    if (f.column_repeat(c) != 1) f.fail(str("column ", name, " is an array; Type II files need read_pha2"));
    return read(c);
  }
  const double k = f.key_double_or(name, 0);
  if (!std::isfinite(k)) f.fail(str("keyword ", name, " is not finite"));
  if (k == 0) return {};
  return std::vector<T>(static_cast<std::size_t>(rows), static_cast<T>(k));
}

Spectrum read_pha_from(detail::FitsFile& f) {
  f.move_to_any({"SPECTRUM"});
  const std::string where = f.path() + " [SPECTRUM]";
  const long long rows = f.num_rows();
  if (rows == 0) f.fail("no rows (empty spectrum)");
  const int c_chan = f.require_column("CHANNEL");
  const int c_counts = f.column("COUNTS");
  const int c_rate = f.column("RATE");
  if (!c_counts && !c_rate) f.fail("missing column COUNTS or RATE");
  const int c_data = c_counts ? c_counts : c_rate;
  if (f.column_repeat(c_data) != 1 || f.column_repeat(c_chan) != 1)
    f.fail("COUNTS/RATE or CHANNEL is an array column: this is a Type II file (use read_pha2)");

  Spectrum s;
  s.header = detail::read_pha_header(f, c_chan, rows);
  s.header.is_rate = c_counts == 0;
  s.channel = to_int(f.read_column_ints(c_chan));
  s.counts = f.read_column_doubles(c_data);
  s.exposure_s = f.key_double("EXPOSURE");
  s.backscal = f.key_double_or("BACKSCAL", 1);
  auto doubles = [&](int c) { return f.read_column_doubles(c); };
  auto ints = [&](int c) { return to_int(f.read_column_ints(c)); };
  s.stat_err = column_or_keyword<double>(f, "STAT_ERR", rows, doubles);
  s.sys_err = column_or_keyword<double>(f, "SYS_ERR", rows, doubles);
  s.quality = column_or_keyword<int>(f, "QUALITY", rows, ints);
  s.grouping = column_or_keyword<int>(f, "GROUPING", rows, ints);
  if (f.column("AREASCAL"))
    s.areascal_per_channel = column_or_keyword<double>(f, "AREASCAL", rows, doubles);
  else
    s.areascal = f.key_double_or("AREASCAL", 1);
  validate(s, where);
  return s;
}

}  // namespace

void validate(const Spectrum& s, const std::string& name) {
  const std::size_t n = s.counts.size();
  SPECNET_CHECK(n > 0, name, ": empty spectrum");
  SPECNET_CHECK(s.channel.size() == n, name, ": ", s.channel.size(), " channel numbers for ", n, " counts");
  auto same_size = [&](std::size_t m, const char* what) {
    SPECNET_CHECK(m == 0 || m == n, name, ": ", what, " has ", m, " values for ", n, " channels");
  };
  same_size(s.stat_err.size(), "STAT_ERR");
  same_size(s.sys_err.size(), "SYS_ERR");
  same_size(s.quality.size(), "QUALITY");
  same_size(s.grouping.size(), "GROUPING");
  same_size(s.areascal_per_channel.size(), "AREASCAL");
  const auto& h = s.header;
  SPECNET_CHECK(h.detchans >= static_cast<long long>(n), name, ": ", n, " channels but DETCHANS is ", h.detchans);
  SPECNET_CHECK(std::isfinite(s.exposure_s) && s.exposure_s > 0, name, ": EXPOSURE must be > 0 s, got ", s.exposure_s);
  SPECNET_CHECK(std::isfinite(s.backscal) && s.backscal > 0, name, ": BACKSCAL must be > 0, got ", s.backscal);
  SPECNET_CHECK(std::isfinite(s.areascal) && s.areascal > 0, name, ": AREASCAL must be > 0, got ", s.areascal);
  detail::check_values(s.counts, name, h.is_rate ? "RATE" : "COUNTS", !detail::counts_may_be_negative(h));
  detail::check_values(s.stat_err, name, "STAT_ERR", true);
  detail::check_values(s.sys_err, name, "SYS_ERR", true);
  detail::check_values(s.areascal_per_channel, name, "AREASCAL", true);
  for (std::size_t i = 0; i < n; ++i) {
    const long long c = s.channel[i];
    SPECNET_CHECK(c >= h.first_channel && c < h.first_channel + h.detchans, name, ": CHANNEL ", c, " in row ", i + 1,
                  " outside [", h.first_channel, ", ", h.first_channel + h.detchans - 1, "]");
    if (i > 0) SPECNET_CHECK(c > s.channel[i - 1], name, ": CHANNEL not increasing at row ", i + 1);
    if (!s.quality.empty()) SPECNET_CHECK(s.quality[i] >= 0 && s.quality[i] <= 5, name, ": QUALITY ", s.quality[i], " in row ", i + 1);
    if (!s.grouping.empty())
      SPECNET_CHECK(s.grouping[i] >= -1 && s.grouping[i] <= 1, name, ": GROUPING ", s.grouping[i], " in row ", i + 1);
  }
}

Spectrum read_pha(const std::string& path) {
  auto f = detail::FitsFile::open_read(path);
  return read_pha_from(f);
}

Spectrum read_pha_bytes(const void* data, std::size_t size, const std::string& name) {
  auto f = detail::FitsFile::open_memory(data, size, name);
  return read_pha_from(f);
}

void write_pha(const std::string& path, const Spectrum& s) {
  validate(s, path);
  const auto& h = s.header;
  const bool integral = !h.is_rate && detail::all_integral(s.counts);
  std::vector<std::string> names{"CHANNEL", h.is_rate ? "RATE" : "COUNTS"};
  std::vector<std::string> forms{"1J", integral ? "1J" : "1D"};
  std::vector<std::string> units{"", h.is_rate ? "count/s" : "count"};
  auto add = [&](bool present, const char* n, const char* form, const char* unit) {
    if (!present) return 0;
    names.push_back(n);
    forms.push_back(form);
    units.push_back(unit);
    return static_cast<int>(names.size());
  };
  const int c_stat = add(!s.stat_err.empty(), "STAT_ERR", "1D", h.is_rate ? "count/s" : "count");
  const int c_sys = add(!s.sys_err.empty(), "SYS_ERR", "1D", "");
  const int c_qual = add(!s.quality.empty(), "QUALITY", "1I", "");
  const int c_grp = add(!s.grouping.empty(), "GROUPING", "1I", "");
  const int c_area = add(!s.areascal_per_channel.empty(), "AREASCAL", "1D", "");

  const auto n = static_cast<long long>(s.num_channels());
  auto f = detail::FitsFile::create(path);
  f.create_table("SPECTRUM", n, names, forms, units);
  std::vector<long long> ints(s.channel.begin(), s.channel.end());  // (H)
  f.write_ints(1, 1, 1, n, ints.data());
  f.write_doubles(2, 1, 1, n, s.counts.data());
  if (c_stat) f.write_doubles(c_stat, 1, 1, n, s.stat_err.data());
  if (c_sys) f.write_doubles(c_sys, 1, 1, n, s.sys_err.data());
  if (c_qual) {
    ints.assign(s.quality.begin(), s.quality.end());
    f.write_ints(c_qual, 1, 1, n, ints.data());
  }
  if (c_grp) {
    ints.assign(s.grouping.begin(), s.grouping.end());
    f.write_ints(c_grp, 1, 1, n, ints.data());
  }
  if (c_area) f.write_doubles(c_area, 1, 1, n, s.areascal_per_channel.data());

  detail::write_pha_header(f, h, 1, "TYPE:I");
  f.write_key("EXPOSURE", s.exposure_s, "[s] exposure time");
  f.write_key("BACKSCAL", s.backscal, "background scaling factor");
  if (!c_area) f.write_key("AREASCAL", s.areascal, "area scaling factor");
  // OGIP: a quantity without its column is given as a keyword (0 = not specified / all good / ungrouped).
  if (!c_stat) f.write_key("STAT_ERR", 0, "no statistical error specified");
  if (!c_sys) f.write_key("SYS_ERR", 0, "no systematic error specified");
  if (!c_qual) f.write_key("QUALITY", 0, "all channels good");
  if (!c_grp) f.write_key("GROUPING", 0, "no grouping of the data has been defined");
  f.finish_hdu();
}

}  // namespace specnet::io
