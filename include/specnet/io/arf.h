// OGIP ancillary response (ARF, CAL/GEN/92-002): the SPECRESP extension's effective area per energy bin,
// read and written as XSPEC/HEASoft do (ENERG_LO, ENERG_HI in keV, SPECRESP in cm^2).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace specnet::io {

struct Arf {
  std::vector<double> energy_lo_kev;  // (E)
  std::vector<double> energy_hi_kev;  // (E)
  std::vector<double> area_cm2;       // (E) SPECRESP
  std::string telescop = "UNKNOWN";
  std::string instrume = "UNKNOWN";
  std::string filter = "NONE";
  std::size_t num_energies() const { return area_cm2.size(); }
};

// Reads the SPECRESP extension. Non-finite or negative areas, decreasing energies, lo > hi and missing
// columns are Errors naming the file. Zero-width bins (lo == hi) are accepted: real files have them
// (nuskybgd's be.arf rounds its top energies to whole keV).
Arf read_arf(const std::string& path);
Arf read_arf_bytes(const void* data, std::size_t size, const std::string& name);
// Writes a primary HDU plus SPECRESP (fitsverify-clean, with CHECKSUM); overwrites `path`.
void write_arf(const std::string& path, const Arf& arf);
// Throws when the vectors differ in length, hold NaN/Inf or negative areas, or the grid decreases.
void validate(const Arf& arf, const std::string& name);

}  // namespace specnet::io
