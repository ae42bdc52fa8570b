// OGIP PHA Type I spectrum (OGIP/92-007): one SPECTRUM extension with CHANNEL and COUNTS or RATE, read and
// written with the columns and keywords XSPEC uses (EXPOSURE, BACKSCAL, AREASCAL, RESPFILE, POISSERR ...).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace specnet::io {

// Header keywords shared by every spectrum of a file (Type I and Type II).
struct PhaHeader {
  std::string telescop = "UNKNOWN";
  std::string instrume = "UNKNOWN";
  std::string filter = "NONE";
  std::string chantype = "PI";
  std::string hduclas2 = "TOTAL";  // TOTAL (source + background), NET or BKG
  std::string respfile;            // "" when the keyword is absent or "none"
  std::string ancrfile;
  std::string backfile;
  int first_channel = 1;     // TLMIN of CHANNEL (0 for NuSTAR and NICER)
  long long detchans = 0;    // DETCHANS: channels of the instrument (H)
  bool is_rate = false;      // RATE column (counts/s) instead of COUNTS
  bool poisserr = true;      // POISSERR: errors are Poisson (no STAT_ERR needed)
};

struct Spectrum {
  PhaHeader header;
  double exposure_s = 0;   // EXPOSURE (> 0)
  double backscal = 1;     // BACKSCAL keyword
  double areascal = 1;     // AREASCAL keyword (see areascal_per_channel)
  std::vector<int> channel;               // (H) channel numbers
  std::vector<double> counts;             // (H) counts, or counts/s when header.is_rate
  std::vector<double> stat_err;           // (H) or empty; same unit as counts
  std::vector<double> sys_err;            // (H) or empty; fractional systematic error
  std::vector<int> quality;               // (H) or empty; 0 good, 1 bad by pipeline, 2 dubious, 5 bad by user
  std::vector<int> grouping;              // (H) or empty; +1 starts a group, -1 continues, 0 no grouping
  std::vector<double> areascal_per_channel;  // (H) when AREASCAL is a column, else empty
  std::size_t num_channels() const { return counts.size(); }
};

// Reads extension SPECTRUM (Type I). Scalar keywords QUALITY/GROUPING/SYS_ERR stand for constant
// columns as the standard allows. Negative COUNTS (or RATE outside a NET spectrum), NaN/Inf, EXPOSURE <= 0,
// channels outside DETCHANS, missing extension/columns/keywords -> Error naming file and extension.
Spectrum read_pha(const std::string& path);
Spectrum read_pha_bytes(const void* data, std::size_t size, const std::string& name);
// Writes primary + SPECTRUM (HDUCLAS4 TYPE:I), fitsverify-clean with CHECKSUM; COUNTS as integers when every
// value is a whole number, else as doubles. Overwrites `path`.
void write_pha(const std::string& path, const Spectrum& spectrum);
void validate(const Spectrum& spectrum, const std::string& name);

}  // namespace specnet::io
