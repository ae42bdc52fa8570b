// OGIP PHA Type II (OGIP/92-007): many spectra in one SPECTRUM table (array COUNTS, one row per spectrum,
// SPEC_NUM) plus a PARAMS table holding the generating parameters per spectrum, as XSPEC's data 1:1 file{n}.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "specnet/io/pha.h"

namespace specnet::io {

// Named double columns, one row per spectrum; values are row-major (S, P).
struct ParamTable {
  std::string extname = "PARAMS";
  std::vector<std::string> names;  // (P)
  std::vector<std::string> units;  // (P), "" when dimensionless
  std::vector<double> values;      // (S, P)
  std::size_t num_params() const { return names.size(); }
  std::size_t num_rows() const { return names.empty() ? 0 : values.size() / names.size(); }
};

struct SpectrumSet {
  PhaHeader header;              // common keywords (DETCHANS, first channel, RATE or COUNTS, files)
  std::size_t num_channels = 0;  // H: elements per COUNTS row
  std::vector<int> spec_num;     // (S) SPEC_NUM
  std::vector<double> counts;    // (S, H) counts, or counts/s when header.is_rate
  std::vector<double> stat_err;  // (S, H) or empty
  std::vector<double> exposure_s;  // (S)
  std::vector<double> backscal;    // (S)
  std::vector<double> areascal;    // (S)
  ParamTable params;               // S rows, or no columns
  std::size_t num_spectra() const { return spec_num.size(); }
  Spectrum spectrum(std::size_t i) const;  // row i as a Type I spectrum
};

// Reads the whole dataset: SPECTRUM (Type II) and, when present, the parameter table `params_extname`.
SpectrumSet read_pha2(const std::string& path, const std::string& params_extname = "PARAMS");
SpectrumSet read_pha2_bytes(const void* data, std::size_t size, const std::string& name,
                            const std::string& params_extname = "PARAMS");

// One spectrum and its parameters, read without loading the other rows.
struct Pha2Row {
  Spectrum spectrum;
  int spec_num = 0;
  std::vector<std::string> param_names;  // (P)
  std::vector<double> params;            // (P)
};
Pha2Row read_pha2_row(const std::string& path, std::size_t row, const std::string& params_extname = "PARAMS");

// Writes primary + SPECTRUM (HDUCLAS4 TYPE:II) + the parameter table; fitsverify-clean. SPEC_NUM is
// written as the 1-based row number (set.spec_num is not kept); QUALITY/GROUPING are not per-row columns.
void write_pha2(const std::string& path, const SpectrumSet& set);
void validate(const SpectrumSet& set, const std::string& name);

// Streams spectra to a Type II file one row at a time (a simulator writing more spectra than fit in memory).
// SPECTRUM rows go to disk as they come; the parameter rows (small) are kept and written by close().
class Pha2Writer {
 public:
  // `params` gives the parameter names/units (its values are ignored). With `integer_counts`, COUNTS is a
  // 32-bit integer column and non-integral counts are refused.
  Pha2Writer(const std::string& path, const PhaHeader& header, std::size_t num_channels, const ParamTable& params,
             bool integer_counts, bool with_stat_err = false);
  ~Pha2Writer();  // closes if close() was not called (errors then are swallowed: call close() to see them)
  Pha2Writer(const Pha2Writer&) = delete;
  Pha2Writer& operator=(const Pha2Writer&) = delete;
  // counts (H), stat_err (H) only when constructed with_stat_err, params (P); SPEC_NUM is the 1-based row.
  void append(const double* counts, double exposure_s, const std::vector<double>& params, double backscal = 1,
              double areascal = 1, const double* stat_err = nullptr);
  std::size_t rows_written() const;
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace specnet::io
