// The OGIP readers on the real NuSTAR (Vela X-1, 90402339002) and NICER files in ../shared/data, asserting
// the values fitsverify -l and a direct CFITSIO dump show (exposure, channels, ARF peaks), as XSPEC loads them.
#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>

#include "harness.h"
#include "ogip_test_util.h"
#include "specnet/error.h"
#include "specnet/io/arf.h"
#include "specnet/io/grouping.h"
#include "specnet/io/pha.h"
#include "specnet/io/response.h"
#include "specnet/io/rmf.h"

using namespace specnet;
using namespace specnet::io;

namespace {

std::string data_file(const std::string& rel) {
  const std::string dir = test::shared_dir();
  return dir.empty() ? "" : dir + "/data/" + rel;
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

std::size_t argmax(const std::vector<double>& v) {
  return static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

TEST_CASE("ogip real NuSTAR source and background spectra") {
  const auto src = data_file("nustar/nu90402339002A01_sr.pha");
  if (src.empty()) {
    MESSAGE("../shared not found: skipping the real-file test");
    return;
  }
  const Spectrum s = read_pha(src);
  CHECK(s.num_channels() == 4096u);
  CHECK(s.header.detchans == 4096);
  CHECK(s.header.first_channel == 0);
  CHECK(s.channel.front() == 0);
  CHECK(s.channel.back() == 4095);
  CHECK(s.header.telescop == "NuSTAR");
  CHECK(s.header.instrume == "FPMA");
  CHECK(s.header.chantype == "PI");
  CHECK_FALSE(s.header.is_rate);
  CHECK(s.header.poisserr);
  CHECK(s.header.respfile == "nu90402339002A01_sr.rmf");
  CHECK(s.header.ancrfile == "nu90402339002A01_sr.arf");
  CHECK(s.header.backfile == "nu90402339002A01_bk.pha");
  CHECK(s.exposure_s == doctest::Approx(36037.62277030166).epsilon(1e-12));
  CHECK(s.backscal == doctest::Approx(0.00346390427866689).epsilon(1e-12));
  CHECK(s.areascal == 1.0);
  CHECK(sum(s.counts) == 1446870.0);
  CHECK(argmax(s.counts) == 118u);
  CHECK(s.counts[118] == 6949.0);
  // STAT_ERR/SYS_ERR/QUALITY/GROUPING are keywords set to 0 in this file: no columns.
  CHECK(s.stat_err.empty());
  CHECK(s.quality.empty());
  CHECK(s.grouping.empty());

  const Spectrum b = read_pha(data_file("nustar/nu90402339002A01_bk.pha"));
  CHECK(b.num_channels() == 4096u);
  CHECK(sum(b.counts) == 853.0);
  CHECK(b.backscal == doctest::Approx(0.0020214313779087).epsilon(1e-12));
  CHECK(b.header.backfile.empty());  // "none"

  // Re-written through specnet, the real spectrum stays identical and passes fitsverify.
  const auto copy = test::ogip_temp("nustar_copy.pha");
  write_pha(copy, s);
  test::check_fitsverify(copy);
  CHECK(read_pha(copy).counts == s.counts);
}

TEST_CASE("ogip real NuSTAR ARFs and the nuskybgd diagonal RMF") {
  const auto arf_path = data_file("nustar/nu90402339002A01_sr.arf");
  if (arf_path.empty()) {
    MESSAGE("../shared not found: skipping the real-file test");
    return;
  }
  const Arf arf = read_arf(arf_path);
  CHECK(arf.num_energies() == 4096u);
  CHECK(arf.energy_lo_kev.front() == doctest::Approx(1.6));
  CHECK(arf.energy_hi_kev.back() == doctest::Approx(165.44));
  CHECK(argmax(arf.area_cm2) == 204u);  // 9.76-9.80 keV
  CHECK(arf.area_cm2[204] == doctest::Approx(331.1064758).epsilon(1e-7));
  CHECK(arf.telescop == "NuSTAR");

  const Arf fcxb = read_arf(data_file("nustar/nuskybgd/fcxbA.arf"));
  CHECK(fcxb.num_energies() == 4096u);
  CHECK(argmax(fcxb.area_cm2) == 185u);
  CHECK(fcxb.area_cm2[185] == doctest::Approx(299.8414307).epsilon(1e-7));

  // be.arf has a broken header (fitsverify: 5 errors) and top energies rounded to whole keV with zero-width
  // bins; CFITSIO and specnet still read it.
  const Arf be = read_arf(data_file("nustar/nuskybgd/be.arf"));
  CHECK(be.num_energies() == 4096u);
  CHECK(be.area_cm2.front() == doctest::Approx(0.0599131845));
  CHECK(be.area_cm2.back() == doctest::Approx(0.9979333282));
  CHECK(be.energy_lo_kev.back() == 165.0);

  const Rmf diag = read_rmf(data_file("nustar/nuskybgd/diag.rmf"));
  CHECK(diag.num_energies() == 4096u);
  CHECK(diag.num_channels() == 4096u);
  CHECK(diag.first_channel == 0);
  CHECK(diag.num_nonzero() == 4096u);
  CHECK(diag.channel_index[100] == 100);
  CHECK(diag.value[100] == 1.0);
  CHECK(diag.channel_e_min_kev[0] == doctest::Approx(1.6));
  CHECK(diag.channel_e_max_kev[4095] == doctest::Approx(165.44));
  CHECK(diag.lo_thres == doctest::Approx(0.001));

  // Folding a flat 1 photon/cm^2/s per bin through diag x ARF returns the ARF itself.
  check_compatible(diag, "diag.rmf", arf, "sr.arf");
  const SparseResponse resp = SparseResponse::build(diag, &arf);
  std::vector<double> rate;
  resp.fold_into(rate, std::vector<double>(4096, 1.0));
  CHECK(rate[204] == doctest::Approx(arf.area_cm2[204]));
  CHECK(sum(rate) == doctest::Approx(sum(arf.area_cm2)));

  // be.arf's rounded grid differs from the RMF's: refused by the exact check, accepted bin-count-only (XSPEC).
  CHECK_THROWS_WITH_AS(check_compatible(diag, "diag.rmf", be, "be.arf"), doctest::Contains("energy grid mismatch"),
                       Error);
  CHECK_NOTHROW(SparseResponse::build(diag, &be, nullptr, GridCheck::count_only));

  // The source spectrum and diag.rmf agree on channels; grouping to >= 100 counts (as in the IC paper).
  const Spectrum s = read_pha(data_file("nustar/nu90402339002A01_sr.pha"));
  check_compatible(s, "sr.pha", diag, "diag.rmf");
  const Grouping g = group_min_counts(s.counts, 100);
  const auto grouped = group_sum(g, s.counts);
  CHECK(g.num_groups > 100u);
  CHECK(*std::min_element(grouped.begin(), grouped.end()) >= 100.0);
  double flagged = 0;
  for (std::size_t c = 0; c < s.num_channels(); ++c)
    if (g.quality[c] == 2) flagged += s.counts[c];
  CHECK(flagged < 100.0);
  CHECK(sum(grouped) + flagged == sum(s.counts));
  const SparseResponse grouped_resp = SparseResponse::build(diag, &arf, &g);
  CHECK(grouped_resp.num_outputs() == g.num_groups);
}

TEST_CASE("ogip real NICER spectrum and ARF") {
  const auto pha_path = data_file("nicer/g2_b_001_raw_opt.pha");
  if (pha_path.empty()) {
    MESSAGE("../shared not found: skipping the real-file test");
    return;
  }
  const Spectrum s = read_pha(pha_path);
  CHECK(s.num_channels() == 1501u);
  CHECK(s.header.detchans == 1501);
  CHECK(s.header.first_channel == 0);
  CHECK(s.header.telescop == "NICER");
  CHECK(s.header.instrume == "XTI");
  CHECK(s.exposure_s == doctest::Approx(0.08399999).epsilon(1e-9));
  CHECK(sum(s.counts) == 2019.0);
  CHECK(argmax(s.counts) == 114u);
  CHECK(s.counts[114] == 26.0);
  CHECK(s.sys_err.size() == 1501u);
  CHECK(s.sys_err.front() == doctest::Approx(1.0));
  CHECK(std::accumulate(s.quality.begin(), s.quality.end(), 0) == 22);
  CHECK(std::accumulate(s.grouping.begin(), s.grouping.end(), 0) == -1269);
  CHECK(s.header.respfile == "2050300110.rmf");
  CHECK(s.header.ancrfile == "2050300110_g2_b_001.arf");
  // The file's own GROUPING/QUALITY columns become a fold mapping.
  const Grouping g = grouping_from_columns(s.grouping, s.quality);
  CHECK(g.num_groups > 0u);
  CHECK(g.num_groups < 1501u);

  const Arf arf = read_arf(data_file("nicer/2050300110_g2_b_001.arf"));
  CHECK(arf.num_energies() == 3451u);
  CHECK(arf.energy_lo_kev.front() == doctest::Approx(0.1));
  CHECK(arf.energy_hi_kev.back() == doctest::Approx(20.0));
  CHECK(argmax(arf.area_cm2) == 920u);
  CHECK(arf.area_cm2[920] == doctest::Approx(1872.697998).epsilon(1e-7));
}
