// OGIP ARF reader/writer (SPECRESP extension, CAL/GEN/92-002) over CFITSIO, as XSPEC loads ancillary
// responses: ENERG_LO/ENERG_HI in keV and SPECRESP in cm^2, one row per energy bin.
#include "specnet/io/arf.h"

#include "fits_file.h"
#include "ogip_checks.h"
#include "specnet/error.h"

namespace specnet::io {
namespace {

Arf read_arf_from(detail::FitsFile& f) {
  f.move_to_any({"SPECRESP"});
  Arf arf;
  arf.energy_lo_kev = f.read_column_doubles(f.require_column("ENERG_LO"));
  arf.energy_hi_kev = f.read_column_doubles(f.require_column("ENERG_HI"));
  arf.area_cm2 = f.read_column_doubles(f.require_column("SPECRESP"));
  arf.telescop = f.key_string_or("TELESCOP", "UNKNOWN");
  arf.instrume = f.key_string_or("INSTRUME", "UNKNOWN");
  arf.filter = f.key_string_or("FILTER", "NONE");
  validate(arf, f.path() + " [SPECRESP]");
  return arf;
}

}  // namespace

void validate(const Arf& arf, const std::string& name) {
  detail::check_energy_grid(arf.energy_lo_kev, arf.energy_hi_kev, name, "ENERG_LO", "ENERG_HI");
  SPECNET_CHECK(arf.area_cm2.size() == arf.energy_lo_kev.size(), name, ": SPECRESP has ", arf.area_cm2.size(),
                " values for ", arf.energy_lo_kev.size(), " energy bins");
  detail::check_values(arf.area_cm2, name, "SPECRESP (cm^2)", true);
}

Arf read_arf(const std::string& path) {
  auto f = detail::FitsFile::open_read(path);
  return read_arf_from(f);
}

Arf read_arf_bytes(const void* data, std::size_t size, const std::string& name) {
  auto f = detail::FitsFile::open_memory(data, size, name);
  return read_arf_from(f);
}

void write_arf(const std::string& path, const Arf& arf) {
  validate(arf, path);
  auto f = detail::FitsFile::create(path);
  const auto n = static_cast<long long>(arf.num_energies());
  f.create_table("SPECRESP", n, {"ENERG_LO", "ENERG_HI", "SPECRESP"}, {"1D", "1D", "1D"}, {"keV", "keV", "cm**2"});
  f.write_doubles(1, 1, 1, n, arf.energy_lo_kev.data());
  f.write_doubles(2, 1, 1, n, arf.energy_hi_kev.data());
  f.write_doubles(3, 1, 1, n, arf.area_cm2.data());
  detail::write_instrument_keys(f, arf.telescop, arf.instrume, arf.filter);
  f.write_key("HDUCLASS", "OGIP", "format conforms to OGIP standard");
  f.write_key("HDUCLAS1", "RESPONSE", "dataset relates to spectral response");
  f.write_key("HDUCLAS2", "SPECRESP", "dataset contains an effective area (ARF)");
  f.write_key("HDUVERS", "1.1.0", "version of format (OGIP memo CAL/GEN/92-002a)");
  f.finish_hdu();
}

}  // namespace specnet::io
