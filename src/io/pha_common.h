// Private helpers shared by the PHA Type I and Type II readers/writers: the header keywords both carry.
// Keyword names and defaults follow OGIP/92-007 as XSPEC reads them.
#pragma once
#include <string>
#include <vector>

#include "fits_file.h"
#include "specnet/io/pha.h"

namespace specnet::io::detail {

// Reads the shared keywords of the current (SPECTRUM) HDU; `channel_col` gives TLMIN (0: none).
PhaHeader read_pha_header(FitsFile& f, int channel_col, long long channels_in_table);
// Writes the shared keywords; `type` is "TYPE:I" or "TYPE:II", `channel_col` the CHANNEL column number.
void write_pha_header(FitsFile& f, const PhaHeader& h, int channel_col, const std::string& type);
// True when every value is a whole number that fits a 32-bit integer column.
bool all_integral(const std::vector<double>& v);
// Counts must be >= 0 unless the spectrum is a background-subtracted (NET) rate.
bool counts_may_be_negative(const PhaHeader& h);

}  // namespace specnet::io::detail
