// OGIP PHA Type II reader/writer (OGIP/92-007 SPECTRUM with array COUNTS, one row per spectrum) plus the
// PARAMS table of generating parameters; rows can be read singly, as XSPEC's "data file{n}" does.
#include "specnet/io/pha2.h"

#include <cmath>

#include "fits_file.h"
#include "ogip_checks.h"
#include "pha_common.h"
#include "specnet/error.h"

namespace specnet::io {
namespace {

// Column numbers (0 = absent, then the keyword value holds for every row) of a Type II SPECTRUM table.
struct Layout {
  PhaHeader header;
  long long rows = 0, channels = 0;
  int c_data = 0, c_chan = 0, c_specnum = 0, c_stat = 0, c_exp = 0, c_back = 0, c_area = 0;
  double exposure_s = 0, backscal = 1, areascal = 1;
};

int per_row_column(detail::FitsFile& f, const std::string& name, long long repeat) {
  const int c = f.column(name);
  if (c && (f.column_is_variable(c) || f.column_repeat(c) != repeat))
    f.fail(str("column ", name, " has ", f.column_repeat(c), " elements per row, expected ", repeat));
  return c;
}

Layout open_layout(detail::FitsFile& f) {
  f.move_to_any({"SPECTRUM"});
  Layout l;
  l.rows = f.num_rows();
  const int c_counts = f.column("COUNTS");
  l.c_data = c_counts ? c_counts : f.column("RATE");
  if (!l.c_data) f.fail("missing column COUNTS or RATE");
  if (f.column_is_variable(l.c_data)) f.fail("variable-length COUNTS/RATE is not supported");
  l.channels = f.column_repeat(l.c_data);
  if (l.channels < 1) f.fail("COUNTS/RATE column has no elements");
  f.check_size(l.channels, "COUNTS/RATE");
  l.c_chan = per_row_column(f, "CHANNEL", l.channels);
  l.header = detail::read_pha_header(f, l.c_chan, l.channels);
  l.header.is_rate = c_counts == 0;
  l.c_specnum = per_row_column(f, "SPEC_NUM", 1);
  l.c_stat = per_row_column(f, "STAT_ERR", l.channels);
  l.c_exp = per_row_column(f, "EXPOSURE", 1);
  l.c_back = per_row_column(f, "BACKSCAL", 1);
  l.c_area = per_row_column(f, "AREASCAL", 1);
  if (!l.c_exp) l.exposure_s = f.key_double("EXPOSURE");
  if (!l.c_back) l.backscal = f.key_double_or("BACKSCAL", 1);
  if (!l.c_area) l.areascal = f.key_double_or("AREASCAL", 1);
  return l;
}

// Reads rows [row, row + n) of a scalar per-spectrum column, or repeats the keyword value.
std::vector<double> per_row(detail::FitsFile& f, int col, long long row, long long n, double keyword) {
  std::vector<double> out(static_cast<std::size_t>(n), keyword);  // (n)
  if (col) f.read_doubles(col, row, 1, n, out.data());
  return out;
}

void check_channels(detail::FitsFile& f, const Layout& l, long long row) {
  if (!l.c_chan) return;
  std::vector<long long> ch(static_cast<std::size_t>(l.channels));  // (H)
  f.read_ints(l.c_chan, row, 1, l.channels, ch.data());
  for (long long i = 0; i < l.channels; ++i)
    if (ch[i] != l.header.first_channel + i)
      f.fail(str("row ", row, ": CHANNEL[", i, "] is ", ch[i], ", expected ", l.header.first_channel + i));
}

// Parameter table columns other than SPEC_NUM, as (name, unit, column number).
struct ParamColumns {
  std::vector<std::string> names, units;
  std::vector<int> cols;
  int c_specnum = 0;
};

ParamColumns param_columns(detail::FitsFile& f) {
  ParamColumns p;
  const auto names = f.column_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    const int c = static_cast<int>(i) + 1;
    if (names[i] == "SPEC_NUM") {
      p.c_specnum = c;
      continue;
    }
    if (f.column_is_variable(c) || f.column_repeat(c) != 1) f.fail(str("parameter column ", names[i], " is not a scalar"));
    p.names.push_back(names[i]);
    p.units.push_back(f.key_string_or(str("TUNIT", c), ""));
    p.cols.push_back(c);
  }
  return p;
}

SpectrumSet read_pha2_from(detail::FitsFile& f, const std::string& params_extname) {
  const Layout l = open_layout(f);
  const std::string where = f.path() + " [SPECTRUM]";
  SpectrumSet set;
  set.header = l.header;
  set.num_channels = static_cast<std::size_t>(l.channels);
  const long long total = l.rows * l.channels;
  f.check_size(total, "COUNTS/RATE");
  set.counts.resize(static_cast<std::size_t>(total));  // (S, H)
  f.read_doubles(l.c_data, 1, 1, total, set.counts.data());
  if (l.c_stat) {
    set.stat_err.resize(static_cast<std::size_t>(total));  // (S, H)
    f.read_doubles(l.c_stat, 1, 1, total, set.stat_err.data());
  }
  for (long long r = 1; r <= l.rows; ++r) check_channels(f, l, r);
  set.spec_num.resize(static_cast<std::size_t>(l.rows));  // (S)
  for (long long r = 0; r < l.rows; ++r) set.spec_num[r] = static_cast<int>(r + 1);
  if (l.c_specnum && l.rows > 0) {
    std::vector<long long> s(static_cast<std::size_t>(l.rows));
    f.read_ints(l.c_specnum, 1, 1, l.rows, s.data());
    set.spec_num.assign(s.begin(), s.end());
  }
  set.exposure_s = per_row(f, l.c_exp, 1, l.rows, l.exposure_s);
  set.backscal = per_row(f, l.c_back, 1, l.rows, l.backscal);
  set.areascal = per_row(f, l.c_area, 1, l.rows, l.areascal);

  set.params.extname = params_extname;
  if (!params_extname.empty() && f.move_to(params_extname)) {
    const ParamColumns p = param_columns(f);
    if (f.num_rows() != l.rows) f.fail(str(f.num_rows(), " parameter rows for ", l.rows, " spectra"));
    set.params.names = p.names;
    set.params.units = p.units;
    set.params.values.resize(static_cast<std::size_t>(l.rows) * p.names.size());  // (S, P)
    std::vector<double> column;
    for (std::size_t j = 0; j < p.cols.size(); ++j) {
      column = f.read_column_doubles(p.cols[j]);
      for (long long r = 0; r < l.rows; ++r) set.params.values[r * p.names.size() + j] = column[r];
    }
    if (p.c_specnum) {
      const auto s = f.read_column_ints(p.c_specnum);
      for (long long r = 0; r < l.rows; ++r)
        if (s[r] != set.spec_num[r])
          f.fail(str("SPEC_NUM ", s[r], " in row ", r + 1, " does not match SPECTRUM's ", set.spec_num[r]));
    }
  }
  validate(set, where);
  return set;
}

}  // namespace

Spectrum SpectrumSet::spectrum(std::size_t i) const {
  SPECNET_CHECK(i < num_spectra(), "SpectrumSet::spectrum: row ", i, " of ", num_spectra());
  Spectrum s;
  s.header = header;
  s.exposure_s = exposure_s[i];
  s.backscal = backscal[i];
  s.areascal = areascal[i];
  const std::size_t h = num_channels;
  s.counts.assign(counts.begin() + i * h, counts.begin() + (i + 1) * h);
  if (!stat_err.empty()) s.stat_err.assign(stat_err.begin() + i * h, stat_err.begin() + (i + 1) * h);
  s.channel.resize(h);
  for (std::size_t c = 0; c < h; ++c) s.channel[c] = header.first_channel + static_cast<int>(c);
  return s;
}

void validate(const SpectrumSet& set, const std::string& name) {
  const std::size_t n_s = set.num_spectra(), n_h = set.num_channels;
  SPECNET_CHECK(n_h > 0, name, ": zero channels per spectrum");
  SPECNET_CHECK(set.header.detchans >= static_cast<long long>(n_h), name, ": ", n_h, " channels but DETCHANS is ",
                set.header.detchans);
  SPECNET_CHECK(set.counts.size() == n_s * n_h, name, ": counts has ", set.counts.size(), " values, expected S*H = ",
                n_s, "*", n_h);
  SPECNET_CHECK(set.stat_err.empty() || set.stat_err.size() == n_s * n_h, name, ": stat_err has ",
                set.stat_err.size(), " values, expected ", n_s * n_h);
  SPECNET_CHECK(set.exposure_s.size() == n_s && set.backscal.size() == n_s && set.areascal.size() == n_s, name,
                ": exposure_s/backscal/areascal need one value per spectrum (", n_s, ")");
  SPECNET_CHECK(set.params.num_params() == 0 || set.params.values.size() == n_s * set.params.num_params(), name,
                ": parameter table has ", set.params.values.size(), " values for ", n_s, " spectra x ",
                set.params.num_params(), " parameters");
  SPECNET_CHECK(set.params.units.empty() || set.params.units.size() == set.params.names.size(), name,
                ": parameter units and names differ in number");
  detail::check_values(set.counts, name, set.header.is_rate ? "RATE" : "COUNTS",
                       !detail::counts_may_be_negative(set.header));
  detail::check_values(set.stat_err, name, "STAT_ERR", true);
  for (std::size_t i = 0; i < n_s; ++i) {
    SPECNET_CHECK(std::isfinite(set.exposure_s[i]) && set.exposure_s[i] > 0, name, ": EXPOSURE of spectrum ", i + 1,
                  " must be > 0 s, got ", set.exposure_s[i]);
    SPECNET_CHECK(std::isfinite(set.backscal[i]) && set.backscal[i] > 0, name, ": BACKSCAL of spectrum ", i + 1,
                  " must be > 0");
    SPECNET_CHECK(std::isfinite(set.areascal[i]) && set.areascal[i] > 0, name, ": AREASCAL of spectrum ", i + 1,
                  " must be > 0");
  }
}

SpectrumSet read_pha2(const std::string& path, const std::string& params_extname) {
  auto f = detail::FitsFile::open_read(path);
  return read_pha2_from(f, params_extname);
}

SpectrumSet read_pha2_bytes(const void* data, std::size_t size, const std::string& name,
                            const std::string& params_extname) {
  auto f = detail::FitsFile::open_memory(data, size, name);
  return read_pha2_from(f, params_extname);
}

Pha2Row read_pha2_row(const std::string& path, std::size_t row, const std::string& params_extname) {
  auto f = detail::FitsFile::open_read(path);
  const Layout l = open_layout(f);
  if (static_cast<long long>(row) >= l.rows) f.fail(str("row ", row, " requested but the table has ", l.rows, " spectra"));
  const long long r = static_cast<long long>(row) + 1;
  check_channels(f, l, r);
  Pha2Row out;
  Spectrum& s = out.spectrum;
  s.header = l.header;
  s.counts.resize(static_cast<std::size_t>(l.channels));  // (H)
  f.read_doubles(l.c_data, r, 1, l.channels, s.counts.data());
  if (l.c_stat) {
    s.stat_err.resize(static_cast<std::size_t>(l.channels));  // (H)
    f.read_doubles(l.c_stat, r, 1, l.channels, s.stat_err.data());
  }
  s.channel.resize(static_cast<std::size_t>(l.channels));
  for (long long c = 0; c < l.channels; ++c) s.channel[c] = l.header.first_channel + static_cast<int>(c);
  s.exposure_s = per_row(f, l.c_exp, r, 1, l.exposure_s)[0];
  s.backscal = per_row(f, l.c_back, r, 1, l.backscal)[0];
  s.areascal = per_row(f, l.c_area, r, 1, l.areascal)[0];
  out.spec_num = static_cast<int>(r);
  if (l.c_specnum) {
    long long v = 0;
    f.read_ints(l.c_specnum, r, 1, 1, &v);
    out.spec_num = static_cast<int>(v);
  }
  validate(s, str(path, " [SPECTRUM] row ", row));
  if (!params_extname.empty() && f.move_to(params_extname)) {
    const ParamColumns p = param_columns(f);
    if (f.num_rows() != l.rows) f.fail(str(f.num_rows(), " parameter rows for ", l.rows, " spectra"));
    out.param_names = p.names;
    out.params.resize(p.cols.size());  // (P)
    for (std::size_t j = 0; j < p.cols.size(); ++j) f.read_doubles(p.cols[j], r, 1, 1, &out.params[j]);
  }
  return out;
}

struct Pha2Writer::Impl {
  detail::FitsFile file;
  PhaHeader header;
  long long channels;
  ParamTable params;
  bool integer_counts, with_stat_err;
  long long rows = 0;
  bool closed = false;
  std::vector<long long> channel_numbers;  // (H)
};

Pha2Writer::Pha2Writer(const std::string& path, const PhaHeader& header, std::size_t num_channels,
                       const ParamTable& params, bool integer_counts, bool with_stat_err) {
  SPECNET_CHECK(num_channels > 0, path, ": Pha2Writer needs at least one channel");
  SPECNET_CHECK(header.detchans >= static_cast<long long>(num_channels), path, ": ", num_channels,
                " channels per spectrum but DETCHANS is ", header.detchans);
  SPECNET_CHECK(!(integer_counts && header.is_rate), path, ": a RATE column cannot be integer");
  SPECNET_CHECK(params.units.empty() || params.units.size() == params.names.size(), path,
                ": parameter units and names differ in number");
  for (const auto& n : params.names)
    SPECNET_CHECK(!n.empty() && n != "SPEC_NUM", path, ": invalid parameter column name '", n, "'");
  impl_.reset(new Impl{detail::FitsFile::create(path), header, static_cast<long long>(num_channels), params,
                       integer_counts, with_stat_err, 0, false, {}});
  impl_->params.values.clear();
  if (impl_->params.units.empty()) impl_->params.units.assign(params.names.size(), "");
  impl_->channel_numbers.resize(num_channels);
  for (std::size_t c = 0; c < num_channels; ++c) impl_->channel_numbers[c] = header.first_channel + static_cast<long long>(c);

  const std::string h = std::to_string(num_channels);
  const std::string unit = header.is_rate ? "count/s" : "count";
  std::vector<std::string> names{"SPEC_NUM", "CHANNEL", header.is_rate ? "RATE" : "COUNTS"};
  std::vector<std::string> forms{"1J", h + "J", h + (integer_counts ? "J" : "D")};
  std::vector<std::string> units{"", "", unit};
  if (with_stat_err) {
    names.push_back("STAT_ERR");
    forms.push_back(h + "D");
    units.push_back(unit);
  }
  for (const char* n : {"EXPOSURE", "BACKSCAL", "AREASCAL"}) {
    names.push_back(n);
    forms.push_back("1D");
    units.push_back(std::string(n) == "EXPOSURE" ? "s" : "");
  }
  auto& f = impl_->file;
  f.create_table("SPECTRUM", 0, names, forms, units);
  detail::write_pha_header(f, header, 2, "TYPE:II");
  if (!with_stat_err) f.write_key("STAT_ERR", 0, "no statistical error specified");
  f.write_key("SYS_ERR", 0, "no systematic error specified");
  f.write_key("QUALITY", 0, "all channels good");
  f.write_key("GROUPING", 0, "no grouping of the data has been defined");
}

Pha2Writer::~Pha2Writer() {
  try {
    close();
  } catch (const Error&) {
    // Destructors must not throw; callers who need the error call close() themselves.
  }
}

std::size_t Pha2Writer::rows_written() const { return static_cast<std::size_t>(impl_->rows); }

void Pha2Writer::append(const double* counts, double exposure_s, const std::vector<double>& params, double backscal,
                        double areascal, const double* stat_err) {
  auto& m = *impl_;
  auto& f = m.file;
  SPECNET_CHECK(!m.closed, f.path(), ": Pha2Writer::append after close");
  SPECNET_CHECK(params.size() == m.params.num_params(), f.path(), ": ", params.size(), " parameters given, table has ",
                m.params.num_params());
  SPECNET_CHECK((stat_err != nullptr) == m.with_stat_err, f.path(), ": STAT_ERR ",
                m.with_stat_err ? "required" : "not declared", " for this writer");
  const long long row = m.rows + 1;
  const std::string where = str(f.path(), " [SPECTRUM] row ", row);
  const bool may_be_negative = detail::counts_may_be_negative(m.header);
  for (long long c = 0; c < m.channels; ++c) {
    const double v = counts[c];
    SPECNET_CHECK(std::isfinite(v) && (may_be_negative || v >= 0), where, ": bad count ", v, " in channel ", c);
    SPECNET_CHECK(!m.integer_counts || v == std::floor(v), where, ": non-integral count ", v, " in channel ", c);
    if (stat_err) SPECNET_CHECK(std::isfinite(stat_err[c]) && stat_err[c] >= 0, where, ": bad STAT_ERR in channel ", c);
  }
  SPECNET_CHECK(std::isfinite(exposure_s) && exposure_s > 0, where, ": EXPOSURE must be > 0 s, got ", exposure_s);
  SPECNET_CHECK(std::isfinite(backscal) && backscal > 0 && std::isfinite(areascal) && areascal > 0, where,
                ": BACKSCAL and AREASCAL must be > 0");
  for (double p : params) SPECNET_CHECK(std::isfinite(p), where, ": parameter value is not finite");
  int c = 1;
  f.write_ints(c++, row, 1, 1, &row);
  f.write_ints(c++, row, 1, m.channels, m.channel_numbers.data());
  f.write_doubles(c++, row, 1, m.channels, counts);
  if (stat_err) f.write_doubles(c++, row, 1, m.channels, stat_err);
  f.write_doubles(c++, row, 1, 1, &exposure_s);
  f.write_doubles(c++, row, 1, 1, &backscal);
  f.write_doubles(c++, row, 1, 1, &areascal);
  m.params.values.insert(m.params.values.end(), params.begin(), params.end());
  m.rows = row;
}

void Pha2Writer::close() {
  auto& m = *impl_;
  if (m.closed) return;
  m.closed = true;
  auto& f = m.file;
  f.finish_hdu();
  const std::size_t n_p = m.params.num_params();
  if (n_p == 0) return;
  std::vector<std::string> names{"SPEC_NUM"}, forms{"1J"}, units{""};
  for (std::size_t j = 0; j < n_p; ++j) {
    names.push_back(m.params.names[j]);
    forms.push_back("1D");
    units.push_back(m.params.units[j]);
  }
  f.create_table(m.params.extname, m.rows, names, forms, units);
  std::vector<long long> spec_num(static_cast<std::size_t>(m.rows));  // (S)
  for (long long r = 0; r < m.rows; ++r) spec_num[r] = r + 1;
  f.write_ints(1, 1, 1, m.rows, spec_num.data());
  std::vector<double> column(static_cast<std::size_t>(m.rows));  // (S)
  for (std::size_t j = 0; j < n_p; ++j) {
    for (long long r = 0; r < m.rows; ++r) column[r] = m.params.values[r * n_p + j];
    f.write_doubles(static_cast<int>(j) + 2, 1, 1, m.rows, column.data());
  }
  f.write_key("HDUCLASS", "SPECNET", "not an OGIP class: simulation parameters");
  f.write_key("HDUCLAS1", "PARAMS", "generating parameters, one row per SPEC_NUM");
  f.finish_hdu();
}

void write_pha2(const std::string& path, const SpectrumSet& set) {
  validate(set, path);
  const bool integer_counts = !set.header.is_rate && detail::all_integral(set.counts);
  Pha2Writer w(path, set.header, set.num_channels, set.params, integer_counts, !set.stat_err.empty());
  const std::size_t h = set.num_channels, p = set.params.num_params();
  std::vector<double> params(p);
  for (std::size_t i = 0; i < set.num_spectra(); ++i) {
    for (std::size_t j = 0; j < p; ++j) params[j] = set.params.values[i * p + j];
    w.append(set.counts.data() + i * h, set.exposure_s[i], params, set.backscal[i], set.areascal[i],
             set.stat_err.empty() ? nullptr : set.stat_err.data() + i * h);
  }
  w.close();
}

}  // namespace specnet::io
