// Private helpers shared by the PHA Type I and Type II readers/writers (see pha_common.h).
// Defaults follow OGIP/92-007: TLMIN absent -> first channel 1, POISSERR absent -> Poisson errors.
#include "pha_common.h"

#include <cmath>

#include "specnet/error.h"

namespace specnet::io::detail {

PhaHeader read_pha_header(FitsFile& f, int channel_col, long long channels_in_table) {
  PhaHeader h;
  h.telescop = f.key_string_or("TELESCOP", "UNKNOWN");
  h.instrume = f.key_string_or("INSTRUME", "UNKNOWN");
  h.filter = f.key_string_or("FILTER", "NONE");
  h.chantype = f.key_string_or("CHANTYPE", "PI");
  h.hduclas2 = f.key_string_or("HDUCLAS2", "TOTAL");
  h.respfile = clean_filename(f.key_string_or("RESPFILE", ""));
  h.ancrfile = clean_filename(f.key_string_or("ANCRFILE", ""));
  h.backfile = clean_filename(f.key_string_or("BACKFILE", ""));
  h.poisserr = f.key_bool_or("POISSERR", true);
  h.first_channel = channel_col ? static_cast<int>(f.key_int_or(str("TLMIN", channel_col), 1)) : 1;
  h.detchans = f.key_int_or("DETCHANS", channels_in_table);
  if (h.detchans <= 0) f.fail(str("DETCHANS is ", h.detchans));
  if (channels_in_table > h.detchans)
    f.fail(str("table has ", channels_in_table, " channels but DETCHANS is ", h.detchans));
  return h;
}

void write_pha_header(FitsFile& f, const PhaHeader& h, int channel_col, const std::string& type) {
  auto file_or_none = [](const std::string& s) { return s.empty() ? std::string("none") : s; };
  f.write_key(str("TLMIN", channel_col), h.first_channel, "lowest legal channel number");
  f.write_key(str("TLMAX", channel_col), h.first_channel + h.detchans - 1, "highest legal channel number");
  write_instrument_keys(f, h.telescop, h.instrume, h.filter, h.chantype);
  f.write_key("DETCHANS", h.detchans, "total number of possible channels");
  f.write_key("RESPFILE", file_or_none(h.respfile), "associated redistribution matrix file");
  f.write_key("ANCRFILE", file_or_none(h.ancrfile), "associated ancillary response file");
  f.write_key("BACKFILE", file_or_none(h.backfile), "associated background file");
  f.write_key("CORRFILE", "none", "associated correction file");
  f.write_key("CORRSCAL", 1.0, "correction file scaling factor");
  f.write_key_bool("POISSERR", h.poisserr, "Poisson errors to be assumed");
  f.write_key("HDUCLASS", "OGIP", "format conforms to OGIP standard");
  f.write_key("HDUCLAS1", "SPECTRUM", "PHA dataset (OGIP memo OGIP-92-007)");
  f.write_key("HDUCLAS2", h.hduclas2, "TOTAL, NET or BKG spectrum");
  f.write_key("HDUCLAS3", h.is_rate ? "RATE" : "COUNT", h.is_rate ? "PHA data stored as count/s" : "PHA data stored as counts");
  f.write_key("HDUCLAS4", type, "single (TYPE:I) or multiple (TYPE:II) spectra");
  f.write_key("HDUVERS", "1.2.1", "version of format (OGIP memo OGIP-92-007)");
}

bool all_integral(const std::vector<double>& v) {
  for (double x : v)
    if (!(x == std::floor(x) && std::fabs(x) <= 2147483647.0)) return false;
  return true;
}

bool counts_may_be_negative(const PhaHeader& h) { return h.is_rate && h.hduclas2 == "NET"; }

}  // namespace specnet::io::detail
