// Raw CFITSIO writers for bad-input tests: binary tables with arbitrary columns and keywords, which specnet's own
// writers refuse to produce (NaN counts, missing keywords, unsorted grids), and EBOUNDS appended to a file.
#pragma once
#include <doctest/doctest.h>
#include <fitsio.h>

#include <cstdio>
#include <string>
#include <vector>

#include "ogip_test_util.h"

namespace specnet::test {

// Minimal raw CFITSIO writer: one binary table after an empty primary; columns filled by the caller.
class RawTable {
 public:
  RawTable(const std::string& path, const char* extname, std::vector<const char*> names,
           std::vector<const char*> forms, long rows) {
    std::remove(path.c_str());
    fits_create_diskfile(&f_, path.c_str(), &status_);
    fits_create_img(f_, BYTE_IMG, 0, nullptr, &status_);
    fits_create_tbl(f_, BINARY_TBL, rows, static_cast<int>(names.size()), const_cast<char**>(names.data()),
                    const_cast<char**>(forms.data()), nullptr, extname, &status_);
  }
  ~RawTable() { fits_close_file(f_, &status_); }
  RawTable& col(int c, std::vector<double> v, long row = 1) {
    fits_write_col(f_, TDOUBLE, c, row, 1, static_cast<LONGLONG>(v.size()), v.data(), &status_);
    return *this;
  }
  RawTable& key(const char* k, double v) {
    fits_update_key(f_, TDOUBLE, k, &v, nullptr, &status_);
    return *this;
  }
  RawTable& key(const char* k, long v) {
    fits_update_key(f_, TLONG, k, &v, nullptr, &status_);
    return *this;
  }
  int status() const { return status_; }

 private:
  fitsfile* f_ = nullptr;
  int status_ = 0;
};

// Appends an EBOUNDS table (CHANNEL, E_MIN, E_MAX) to an existing file.
inline void append_ebounds(const std::string& path, std::vector<double> channel, std::vector<double> lo,
                    std::vector<double> hi, const char* channel_form, const char* energy_form) {
  int status = 0;
  fitsfile* f = nullptr;
  fits_open_file(&f, path.c_str(), READWRITE, &status);
  const char* names[] = {"CHANNEL", "E_MIN", "E_MAX"};
  const char* forms[] = {channel_form, energy_form, energy_form};
  const auto n = static_cast<LONGLONG>(channel.size());
  fits_create_tbl(f, BINARY_TBL, n, 3, const_cast<char**>(names), const_cast<char**>(forms), nullptr, "EBOUNDS",
                  &status);
  fits_write_col(f, TDOUBLE, 1, 1, 1, n, channel.data(), &status);
  fits_write_col(f, TDOUBLE, 2, 1, 1, n, lo.data(), &status);
  fits_write_col(f, TDOUBLE, 3, 1, 1, n, hi.data(), &status);
  fits_close_file(f, &status);
  REQUIRE(status == 0);
}

// A 3-channel PHA (CHANNEL 1..3, COUNTS as 1E) in the OGIP scratch directory, with any counts and EXPOSURE.
inline std::string raw_pha(const char* name, std::vector<double> counts, double exposure) {
  const auto path = ogip_temp(name);
  RawTable(path, "SPECTRUM", {"CHANNEL", "COUNTS"}, {"1J", "1E"}, static_cast<long>(counts.size()))
      .col(1, {1, 2, 3})
      .col(2, counts)
      .key("EXPOSURE", exposure);
  return path;
}

}  // namespace specnet::test
