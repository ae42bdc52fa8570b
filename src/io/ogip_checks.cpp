// Private validation shared by the OGIP readers and writers (see ogip_checks.h): grids, finite values.
// XSPEC refuses the same inputs; here the message also says which row broke the rule.
#include "ogip_checks.h"

#include <cmath>

#include "specnet/error.h"

namespace specnet::io::detail {

void check_energy_grid(const std::vector<double>& lo_kev, const std::vector<double>& hi_kev,
                       const std::string& where, const std::string& lo_name, const std::string& hi_name) {
  SPECNET_CHECK(lo_kev.size() == hi_kev.size(), where, ": ", lo_name, " has ", lo_kev.size(), " values but ",
                hi_name, " has ", hi_kev.size());
  SPECNET_CHECK(!lo_kev.empty(), where, ": empty energy grid");
  for (std::size_t i = 0; i < lo_kev.size(); ++i) {
    const double lo = lo_kev[i], hi = hi_kev[i];
    SPECNET_CHECK(std::isfinite(lo) && std::isfinite(hi), where, ": non-finite energy in row ", i + 1, " (",
                  lo_name, " ", lo, ", ", hi_name, " ", hi, ")");
    SPECNET_CHECK(lo >= 0, where, ": negative energy ", lo, " keV in row ", i + 1);
    SPECNET_CHECK(lo <= hi, where, ": ", lo_name, " ", lo, " > ", hi_name, " ", hi, " keV in row ", i + 1);
    if (i > 0)
      SPECNET_CHECK(lo >= lo_kev[i - 1] && hi >= hi_kev[i - 1], where, ": energy grid not monotonic at row ",
                    i + 1, " (", lo_name, " ", lo_kev[i - 1], " -> ", lo, ", ", hi_name, " ", hi_kev[i - 1], " -> ",
                    hi, " keV)");
  }
}

void check_values(const std::vector<double>& v, const std::string& where, const std::string& what,
                  bool non_negative) {
  for (std::size_t i = 0; i < v.size(); ++i) {
    SPECNET_CHECK(std::isfinite(v[i]), where, ": ", what, " is not finite (", v[i], ") at index ", i);
    if (non_negative) SPECNET_CHECK(v[i] >= 0, where, ": ", what, " is negative (", v[i], ") at index ", i);
  }
}

}  // namespace specnet::io::detail
