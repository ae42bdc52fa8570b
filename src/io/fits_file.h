// Private RAII wrapper over a CFITSIO handle for the OGIP readers and writers: every CFITSIO status
// becomes a specnet::Error naming the file, the extension and the problem (fits_get_errstatus text).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace specnet::io::detail {

// CFITSIO keeps the address of the caller's buffer pointer for memory files, so it lives on the heap
// where moving the FitsFile cannot invalidate it.
struct MemoryBuffer {
  void* data;
  std::size_t size;
};

class FitsFile {
 public:
  // Opens an existing file read-only; a missing, truncated or non-FITS file is an Error.
  static FitsFile open_read(const std::string& path);
  // Opens FITS bytes held in memory (the fuzzer and in-memory readers); `name` appears in messages.
  static FitsFile open_memory(const void* data, std::size_t size, const std::string& name);
  // Creates (overwriting) a file with an empty primary array.
  static FitsFile create(const std::string& path);
  ~FitsFile();
  FitsFile(FitsFile&& other) noexcept;
  FitsFile& operator=(FitsFile&&) = delete;
  FitsFile(const FitsFile&) = delete;

  const std::string& path() const { return path_; }
  // Upper bound on how much data the file can hold; sizes read from headers are checked against it so
  // that a corrupt NAXIS2 or array length cannot trigger a huge allocation.
  std::uint64_t size_bytes() const { return size_bytes_; }

  // Moves to the binary table named `extname`; returns false when absent (other errors throw).
  bool move_to(const std::string& extname);
  // Moves to the first binary table called one of `names`; throws naming them all when none exists.
  void move_to_any(const std::vector<std::string>& names);
  const std::string& extname() const { return ext_; }

  [[noreturn]] void fail(const std::string& problem) const;
  void check(int status, const std::string& doing) const;  // throws when status != 0

  // Header keywords of the current HDU.
  bool has_key(const std::string& key);
  std::string key_string(const std::string& key);
  std::string key_string_or(const std::string& key, const std::string& fallback);
  double key_double(const std::string& key);
  double key_double_or(const std::string& key, double fallback);
  long long key_int_or(const std::string& key, long long fallback);
  bool key_bool_or(const std::string& key, bool fallback);

  // Binary-table columns of the current HDU (1-based column numbers, 0 = absent).
  long long num_rows();
  int column(const std::string& name);           // 0 when absent
  int require_column(const std::string& name);   // throws naming the column
  std::vector<std::string> column_names();        // TTYPE1..TTYPEn
  long long column_repeat(int col);               // elements per row (fixed) or max (variable)
  bool column_is_variable(int col);
  long long variable_length(int col, long long row);  // elements stored in this row (variable column)
  // Reads `n` elements of a column starting at row `row` (1-based), element `first` (1-based).
  void read_doubles(int col, long long row, long long first, long long n, double* out);
  void read_ints(int col, long long row, long long first, long long n, long long* out);
  std::vector<double> read_column_doubles(int col);  // scalar column, all rows
  std::vector<long long> read_column_ints(int col);
  // Rejects a read of `n` elements that the file could not possibly hold.
  void check_size(long long n, const std::string& what) const;

  // Writing: a new binary table with `names`, TFORMs and units; then keywords and columns.
  void create_table(const std::string& extname, long long rows, const std::vector<std::string>& names,
                    const std::vector<std::string>& forms, const std::vector<std::string>& units);
  void write_key(const std::string& key, const std::string& value, const std::string& comment);
  void write_key(const std::string& key, const char* value, const std::string& comment);
  void write_key(const std::string& key, double value, const std::string& comment);
  void write_key(const std::string& key, long long value, const std::string& comment);
  void write_key(const std::string& key, int value, const std::string& comment);
  void write_key_bool(const std::string& key, bool value, const std::string& comment);
  void write_doubles(int col, long long row, long long first, long long n, const double* in);
  void write_ints(int col, long long row, long long first, long long n, const long long* in);
  // DATE, CREATOR and CHECKSUM/DATASUM of the current HDU (call last, after all data is written).
  void finish_hdu();

 private:
  FitsFile(void* f, std::string path, std::uint64_t size) : f_(f), path_(std::move(path)), size_bytes_(size) {}
  void* f_ = nullptr;  // fitsfile* (an anonymous struct in fitsio.h, so it cannot be forward-declared)
  std::unique_ptr<MemoryBuffer> mem_;  // only for memory files; closed before it is freed
  std::string path_;
  std::string ext_ = "primary";
  std::uint64_t size_bytes_ = 0;
};

// TELESCOP, INSTRUME, FILTER (and CHANTYPE unless empty): the instrument keywords every OGIP HDU carries.
void write_instrument_keys(FitsFile& f, const std::string& telescop, const std::string& instrume,
                           const std::string& filter, const std::string& chantype = "");

// "none", "NONE" or empty file-name keywords mean "no file".
std::string clean_filename(const std::string& value);

}  // namespace specnet::io::detail
