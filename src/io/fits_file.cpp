// Private RAII wrapper over CFITSIO for the OGIP readers and writers (see fits_file.h); messages read
// "<file> [<extension>]: <problem>" and carry CFITSIO's fits_get_errstatus text for library failures.
#include "fits_file.h"

#include <fitsio.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "specnet/error.h"

namespace specnet::io::detail {
namespace {

fitsfile* ff(void* p) { return static_cast<fitsfile*>(p); }

std::string cfitsio_text(int status) {
  char text[FLEN_STATUS] = {0};
  fits_get_errstatus(status, text);
  std::string out = text;
  char msg[FLEN_ERRMSG] = {0};
  // The first message on CFITSIO's stack usually says which keyword or column failed.
  if (fits_read_errmsg(msg) && msg[0] != '\0') out += str(" (", msg, ")");
  fits_clear_errmsg();
  return out;
}

// Pre-scan of the raw header cards before CFITSIO parses them. CFITSIO 4.2 copies an unquoted keyword value
// into fixed 70-byte buffers with strcpy (ffgtbp, found by fuzz/fuzz_ogip.cpp), so a corrupt header could
// overflow it; here such cards are refused: bytes outside printable ASCII in keyword names or values (the FITS
// standard allows only 0x20-0x7E) and unquoted values longer than any number needs.
// `read_block(offset, buf)` fills 2880 bytes or returns false. Returns "" when the headers look sane.
std::string header_problem(const std::function<bool(std::uint64_t, char*)>& read_block, std::uint64_t size) {
  constexpr std::uint64_t kBlock = 2880;
  char block[kBlock];
  std::uint64_t offset = 0;
  for (int hdu = 1; offset + kBlock <= size && hdu <= 10000; ++hdu) {
    long long bitpix = 8, naxis = 0, pcount = 0, gcount = 1;
    long long naxes[1000] = {0};
    bool end = false;
    while (!end) {
      if (offset + kBlock > size || !read_block(offset, block))
        return str("HDU ", hdu, ": header has no END card before the end of the file");
      offset += kBlock;
      for (int card = 0; card < 36 && !end; ++card) {
        const char* c = block + 80 * card;
        auto printable = [](char ch) { return ch >= 0x20 && ch <= 0x7e; };
        for (int i = 0; i < 8; ++i)
          if (!printable(c[i])) return str("HDU ", hdu, ": non-ASCII byte in a keyword name");
        const std::string key = [&] {
          std::string k(c, 8);
          while (!k.empty() && k.back() == ' ') k.pop_back();
          return k;
        }();
        if (key == "END") {
          end = true;
          break;
        }
        if (c[8] != '=' || c[9] != ' ') continue;  // commentary card: free text, not parsed as a value
        int i = 10;
        while (i < 80 && c[i] == ' ') ++i;
        if (i < 80 && c[i] == '\'') {
          for (++i; i < 80; ++i) {
            if (!printable(c[i])) return str("HDU ", hdu, ": keyword ", key, " has a non-ASCII string value");
            if (c[i] == '\'' && (i + 1 >= 80 || c[i + 1] != '\'')) break;
            if (c[i] == '\'') ++i;  // doubled quote inside a string
          }
          continue;  // an unterminated string is tolerated (real NuSTAR files have one); it ends with the card
        }
        int j = i;
        while (j < 80 && c[j] != '/') {
          if (!printable(c[j])) return str("HDU ", hdu, ": keyword ", key, " has a non-ASCII value");
          ++j;
        }
        while (j > i && c[j - 1] == ' ') --j;
        if (j - i > 40) return str("HDU ", hdu, ": keyword ", key, " has a ", j - i, "-character unquoted value");
        const std::string value(c + i, c + j);
        const long long v = std::strtoll(value.c_str(), nullptr, 10);
        if (key == "BITPIX") bitpix = v;
        if (key == "NAXIS") naxis = v;
        if (key == "PCOUNT") pcount = v;
        if (key == "GCOUNT") gcount = v;
        if (key.size() > 5 && key.compare(0, 5, "NAXIS") == 0) {
          const long long n = std::strtoll(key.c_str() + 5, nullptr, 10);
          if (n >= 1 && n < 1000) naxes[n] = v;
        }
      }
    }
    // Skip the data unit; anything implausible is left for CFITSIO to report.
    if (naxis < 0 || naxis >= 1000 || pcount < 0 || gcount < 0) return "";
    long double bytes = naxis > 0 ? 1.0L : 0.0L;
    for (long long k = 1; k <= naxis; ++k) bytes *= static_cast<long double>(naxes[k] < 0 ? 0 : naxes[k]);
    bytes = (bytes + pcount) * gcount * (bitpix < 0 ? -bitpix : bitpix) / 8;
    if (bytes > static_cast<long double>(size)) return "";
    offset += (static_cast<std::uint64_t>(bytes) + kBlock - 1) / kBlock * kBlock;
  }
  return "";
}

[[noreturn]] void throw_open_error(fitsfile* f, int status, const std::string& name) {
  const std::string text = cfitsio_text(status);
  if (f) {
    int ignored = 0;
    fits_close_file(f, &ignored);
  }
  throw Error(str(name, ": cannot open as FITS: ", text, " [CFITSIO status ", status, "]"));
}

// Walks every HDU so that a file cut short anywhere (not only inside the extension being read) is refused:
// CFITSIO alone reads only what it needs and would accept a file missing its trailing extensions' data.
void check_complete(fitsfile* f, std::uint64_t size, const std::string& name) {
  int status = 0;
  while (fits_movrel_hdu(f, 1, nullptr, &status) == 0) {
  }
  if (status != END_OF_FILE) {
    const std::string text = cfitsio_text(status);
    throw Error(str(name, ": truncated or corrupt FITS file: ", text, " [CFITSIO status ", status, "]"));
  }
  status = 0;
  fits_clear_errmsg();
  LONGLONG head = 0, data = 0, end = 0;
  fits_get_hduaddrll(f, &head, &data, &end, &status);
  if (status == 0 && static_cast<std::uint64_t>(end) > size)
    throw Error(str(name, ": truncated FITS file: the last HDU needs ", end, " bytes but the file has ", size));
  fits_movabs_hdu(f, 1, nullptr, &status);
  if (status) throw Error(str(name, ": cannot rewind: ", cfitsio_text(status)));
}

}  // namespace

FitsFile FitsFile::open_read(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(str(path, ": cannot open: no such regular file"));
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(str(path, ": cannot open: ", ec.message()));
  if (size < 2880) throw Error(str(path, ": not a FITS file: ", size, " bytes is shorter than one FITS block"));
  {
    std::ifstream in(path, std::ios::binary);
    const std::string bad = header_problem(
        [&](std::uint64_t offset, char* buf) {
          in.seekg(static_cast<std::streamoff>(offset));
          return static_cast<bool>(in.read(buf, 2880));
        },
        size);
    if (!bad.empty()) throw Error(str(path, ": corrupt FITS header: ", bad));
  }
  fitsfile* f = nullptr;
  int status = 0;
  // diskfile: no extended file-name syntax, so brackets in real names are not parsed as filters.
  if (fits_open_diskfile(&f, path.c_str(), READONLY, &status)) {
    throw_open_error(f, status, path);
  }
  FitsFile out(f, path, size);
  check_complete(f, size, path);
  return out;
}

FitsFile FitsFile::open_memory(const void* data, std::size_t size, const std::string& name) {
  if (size < 2880) throw Error(str(name, ": not a FITS file: ", size, " bytes is shorter than one FITS block"));
  const std::string bad = header_problem(
      [&](std::uint64_t offset, char* out) {
        std::memcpy(out, static_cast<const char*>(data) + offset, 2880);
        return true;
      },
      size);
  if (!bad.empty()) throw Error(str(name, ": corrupt FITS header: ", bad));
  auto buf = std::make_unique<MemoryBuffer>(MemoryBuffer{const_cast<void*>(data), size});
  fitsfile* f = nullptr;
  int status = 0;
  if (fits_open_memfile(&f, name.c_str(), READONLY, &buf->data, &buf->size, 0, nullptr, &status)) {
    throw_open_error(f, status, name);
  }
  FitsFile out(f, name, size);
  out.mem_ = std::move(buf);
  check_complete(f, size, name);
  return out;
}

FitsFile FitsFile::create(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);  // CFITSIO refuses to overwrite; the caller asked for a new file
  fitsfile* f = nullptr;
  int status = 0;
  if (fits_create_diskfile(&f, path.c_str(), &status))
    throw Error(str(path, ": cannot create FITS file: ", cfitsio_text(status), " [CFITSIO status ", status, "]"));
  FitsFile out(f, path, 0);
  long naxes[1] = {0};
  out.check(fits_create_img(f, BYTE_IMG, 0, naxes, &status), "writing the primary header");
  out.finish_hdu();
  return out;
}

FitsFile::~FitsFile() {
  if (!f_) return;
  int status = 0;
  fits_close_file(ff(f_), &status);
  fits_clear_errmsg();
}

FitsFile::FitsFile(FitsFile&& other) noexcept
    : f_(other.f_),
      mem_(std::move(other.mem_)),
      path_(std::move(other.path_)),
      ext_(std::move(other.ext_)),
      size_bytes_(other.size_bytes_) {
  other.f_ = nullptr;
}

void FitsFile::fail(const std::string& problem) const { throw Error(str(path_, " [", ext_, "]: ", problem)); }

void FitsFile::check(int status, const std::string& doing) const {
  if (status == 0) return;
  fail(str(doing, ": ", cfitsio_text(status), " [CFITSIO status ", status, "]"));
}

bool FitsFile::move_to(const std::string& extname) {
  int status = 0;
  fits_movnam_hdu(ff(f_), BINARY_TBL, const_cast<char*>(extname.c_str()), 0, &status);
  if (status == BAD_HDU_NUM) {
    fits_clear_errmsg();
    return false;
  }
  const std::string previous = ext_;
  ext_ = extname;
  if (status) {
    ext_ = previous;
    check(status, str("looking for extension ", extname));
  }
  return true;
}

void FitsFile::move_to_any(const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (move_to(n)) return;
  for (const auto& n : names) {  // present, but an image or ASCII table: say so rather than "missing"
    int status = 0, type = 0;
    if (fits_movnam_hdu(ff(f_), ANY_HDU, const_cast<char*>(n.c_str()), 0, &status) == 0 &&
        fits_get_hdu_type(ff(f_), &type, &status) == 0)
      throw Error(str(path_, ": extension ", n, " is ", type == IMAGE_HDU ? "an image" : "an ASCII table",
                      ", not a binary table"));
    fits_clear_errmsg();
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : " or ") + n;
  throw Error(str(path_, ": missing extension ", list));
}

bool FitsFile::has_key(const std::string& key) {
  char card[FLEN_CARD];
  int status = 0;
  fits_read_card(ff(f_), key.c_str(), card, &status);
  if (status == KEY_NO_EXIST) {
    fits_clear_errmsg();
    return false;
  }
  check(status, str("reading keyword ", key));
  return true;
}

std::string FitsFile::key_string(const std::string& key) {
  if (!has_key(key)) fail(str("missing keyword ", key));
  char value[FLEN_VALUE] = {0};
  int status = 0;
  fits_read_key(ff(f_), TSTRING, key.c_str(), value, nullptr, &status);
  check(status, str("reading keyword ", key));
  std::string out = value;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string FitsFile::key_string_or(const std::string& key, const std::string& fallback) {
  return has_key(key) ? key_string(key) : fallback;
}

double FitsFile::key_double(const std::string& key) {
  if (!has_key(key)) fail(str("missing keyword ", key));
  double v = 0;
  int status = 0;
  fits_read_key(ff(f_), TDOUBLE, key.c_str(), &v, nullptr, &status);
  check(status, str("reading keyword ", key));
  return v;
}

double FitsFile::key_double_or(const std::string& key, double fallback) {
  return has_key(key) ? key_double(key) : fallback;
}

long long FitsFile::key_int_or(const std::string& key, long long fallback) {
  if (!has_key(key)) return fallback;
  long long v = 0;
  int status = 0;
  fits_read_key(ff(f_), TLONGLONG, key.c_str(), &v, nullptr, &status);
  check(status, str("reading keyword ", key));
  return v;
}

bool FitsFile::key_bool_or(const std::string& key, bool fallback) {
  if (!has_key(key)) return fallback;
  int v = 0;
  int status = 0;
  fits_read_key(ff(f_), TLOGICAL, key.c_str(), &v, nullptr, &status);
  check(status, str("reading keyword ", key));
  return v != 0;
}

long long FitsFile::num_rows() {
  LONGLONG n = 0;
  int status = 0;
  fits_get_num_rowsll(ff(f_), &n, &status);
  check(status, "reading the number of rows");
  if (n < 0) fail("negative row count");
  return n;
}

int FitsFile::column(const std::string& name) {
  int col = 0;
  int status = 0;
  fits_get_colnum(ff(f_), CASEINSEN, const_cast<char*>(name.c_str()), &col, &status);
  if (status == COL_NOT_FOUND) {
    fits_clear_errmsg();
    return 0;
  }
  check(status, str("looking for column ", name));
  return col;
}

int FitsFile::require_column(const std::string& name) {
  const int col = column(name);
  if (col == 0) fail(str("missing column ", name));
  return col;
}

std::vector<std::string> FitsFile::column_names() {
  int n = 0, status = 0;
  fits_get_num_cols(ff(f_), &n, &status);
  check(status, "reading the number of columns");
  std::vector<std::string> names;
  for (int c = 1; c <= n; ++c) names.push_back(key_string(str("TTYPE", c)));
  return names;
}

long long FitsFile::column_repeat(int col) {
  int type = 0;
  LONGLONG repeat = 0, width = 0;
  int status = 0;
  fits_get_coltypell(ff(f_), col, &type, &repeat, &width, &status);
  check(status, str("reading the format of column ", col));
  return repeat;
}

bool FitsFile::column_is_variable(int col) {
  int type = 0;
  LONGLONG repeat = 0, width = 0;
  int status = 0;
  fits_get_coltypell(ff(f_), col, &type, &repeat, &width, &status);
  check(status, str("reading the format of column ", col));
  return type < 0;
}

long long FitsFile::variable_length(int col, long long row) {
  LONGLONG length = 0, offset = 0;
  int status = 0;
  fits_read_descriptll(ff(f_), col, row, &length, &offset, &status);
  check(status, str("reading the array descriptor of column ", col, " row ", row));
  check_size(length, str("column ", col, " row ", row));
  return length;
}

void FitsFile::check_size(long long n, const std::string& what) const {
  if (n < 0 || (size_bytes_ > 0 && static_cast<std::uint64_t>(n) > size_bytes_))
    fail(str(what, ": ", n, " elements cannot fit in a ", size_bytes_, "-byte file (corrupt header?)"));
}

void FitsFile::read_doubles(int col, long long row, long long first, long long n, double* out) {
  if (n == 0) return;
  int anynul = 0, status = 0;
  double nulval = 0;  // 0 disables null substitution: NaN in float columns stays NaN and is caught later
  fits_read_col(ff(f_), TDOUBLE, col, row, first, n, &nulval, out, &anynul, &status);
  check(status, str("reading column ", col, " row ", row));
}

void FitsFile::read_ints(int col, long long row, long long first, long long n, long long* out) {
  if (n == 0) return;
  int anynul = 0, status = 0;
  LONGLONG nulval = 0;
  static_assert(sizeof(LONGLONG) == sizeof(long long), "LONGLONG is long long");
  fits_read_col(ff(f_), TLONGLONG, col, row, first, n, &nulval, reinterpret_cast<LONGLONG*>(out), &anynul, &status);
  check(status, str("reading column ", col, " row ", row));
}

std::vector<double> FitsFile::read_column_doubles(int col) {
  const long long n = num_rows();
  check_size(n, str("column ", col));
  std::vector<double> out(static_cast<std::size_t>(n));  // (rows)
  read_doubles(col, 1, 1, n, out.data());
  return out;
}

std::vector<long long> FitsFile::read_column_ints(int col) {
  const long long n = num_rows();
  check_size(n, str("column ", col));
  std::vector<long long> out(static_cast<std::size_t>(n));  // (rows)
  read_ints(col, 1, 1, n, out.data());
  return out;
}

void FitsFile::create_table(const std::string& extname, long long rows, const std::vector<std::string>& names,
                            const std::vector<std::string>& forms, const std::vector<std::string>& units) {
  std::vector<char*> n, f, u;
  for (std::size_t i = 0; i < names.size(); ++i) {
    n.push_back(const_cast<char*>(names[i].c_str()));
    f.push_back(const_cast<char*>(forms[i].c_str()));
    u.push_back(const_cast<char*>(units[i].c_str()));
  }
  ext_ = extname;
  int status = 0;
  fits_create_tbl(ff(f_), BINARY_TBL, rows, static_cast<int>(names.size()), n.data(), f.data(), u.data(),
                  extname.c_str(), &status);
  check(status, "creating the binary table");
}

void FitsFile::write_key(const std::string& key, const std::string& value, const std::string& comment) {
  int status = 0;
  if (value.size() > 68)
    fits_update_key_longstr(ff(f_), key.c_str(), value.c_str(), comment.c_str(), &status);
  else
    fits_update_key_str(ff(f_), key.c_str(), value.c_str(), comment.c_str(), &status);
  check(status, str("writing keyword ", key));
}

void FitsFile::write_key(const std::string& key, const char* value, const std::string& comment) {
  write_key(key, std::string(value), comment);
}

void FitsFile::write_key(const std::string& key, double value, const std::string& comment) {
  int status = 0;
  fits_update_key_dbl(ff(f_), key.c_str(), value, -17, comment.c_str(), &status);  // 17 digits: exact round trip
  check(status, str("writing keyword ", key));
}

void FitsFile::write_key(const std::string& key, long long value, const std::string& comment) {
  int status = 0;
  LONGLONG v = value;
  fits_update_key(ff(f_), TLONGLONG, key.c_str(), &v, comment.c_str(), &status);
  check(status, str("writing keyword ", key));
}

void FitsFile::write_key(const std::string& key, int value, const std::string& comment) {
  write_key(key, static_cast<long long>(value), comment);
}

void FitsFile::write_key_bool(const std::string& key, bool value, const std::string& comment) {
  int status = 0;
  int v = value ? 1 : 0;
  fits_update_key(ff(f_), TLOGICAL, key.c_str(), &v, comment.c_str(), &status);
  check(status, str("writing keyword ", key));
}

void FitsFile::write_doubles(int col, long long row, long long first, long long n, const double* in) {
  if (n == 0) return;
  int status = 0;
  fits_write_col(ff(f_), TDOUBLE, col, row, first, n, const_cast<double*>(in), &status);
  check(status, str("writing column ", col, " row ", row));
}

void FitsFile::write_ints(int col, long long row, long long first, long long n, const long long* in) {
  if (n == 0) return;
  int status = 0;
  fits_write_col(ff(f_), TLONGLONG, col, row, first, n, reinterpret_cast<LONGLONG*>(const_cast<long long*>(in)),
                 &status);
  check(status, str("writing column ", col, " row ", row));
}

void FitsFile::finish_hdu() {
  int status = 0;
  fits_write_date(ff(f_), &status);
  check(status, "writing DATE");
  write_key("CREATOR", "specnet", "software that wrote this file");
  // Rescan the structure first so that PCOUNT (variable-length heap) is final before the checksum.
  fits_set_hdustruc(ff(f_), &status);
  check(status, "finalising the HDU");
  fits_write_chksum(ff(f_), &status);
  check(status, "writing CHECKSUM");
}

void write_instrument_keys(FitsFile& f, const std::string& telescop, const std::string& instrume,
                           const std::string& filter, const std::string& chantype) {
  f.write_key("TELESCOP", telescop, "mission or telescope name");
  f.write_key("INSTRUME", instrume, "instrument or detector name");
  f.write_key("FILTER", filter, "filter in use");
  if (!chantype.empty()) f.write_key("CHANTYPE", chantype, "channel type (PHA or PI)");
}

std::string clean_filename(const std::string& value) {
  std::string lower = value;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.empty() || lower == "none" || lower == "undefined") return "";
  return value;
}

}  // namespace specnet::io::detail
