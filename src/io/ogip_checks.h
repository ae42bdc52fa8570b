// Private validation shared by the OGIP readers and writers: energy grids, finite values, counts;
// each failure is a specnet::Error that names the file/extension (matches what XSPEC refuses to load).
#pragma once
#include <string>
#include <vector>

namespace specnet::io::detail {

// `where` prefixes the message, e.g. "file.arf [SPECRESP]". Bins must satisfy lo <= hi, lo >= 0 and both
// edges non-decreasing; zero-width bins are allowed (see arf.h).
void check_energy_grid(const std::vector<double>& lo_kev, const std::vector<double>& hi_kev,
                       const std::string& where, const std::string& lo_name, const std::string& hi_name);
// Every value finite (and >= 0 when `non_negative`); names the first offending index.
void check_values(const std::vector<double>& v, const std::string& where, const std::string& what,
                  bool non_negative);

}  // namespace specnet::io::detail
