// Malformed OGIP inputs (truncated or random files, missing extensions/columns/keywords, NaN, negative counts,
// bad grids, channel mismatches): each must raise specnet::Error naming file and problem, never crash.
// Bad files are crafted with CFITSIO directly, since specnet's own writers refuse such data.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "fits_raw_util.h"
#include "harness.h"
#include "ogip_test_util.h"
#include "specnet/error.h"
#include "specnet/io/arf.h"
#include "specnet/io/pha.h"
#include "specnet/io/pha2.h"
#include "specnet/io/response.h"
#include "specnet/io/rmf.h"

using namespace specnet;
using namespace specnet::io;
using test::append_ebounds;
using test::ogip_temp;
using test::RawTable;

namespace {

void write_good_arf(const std::string& path, int n) {
  Arf a;
  for (int e = 0; e < n; ++e) {
    a.energy_lo_kev.push_back(1.0 + e);
    a.energy_hi_kev.push_back(2.0 + e);
    a.area_cm2.push_back(10.0);
  }
  write_arf(path, a);
}

}  // namespace

TEST_CASE("ogip bad input: missing, random and truncated files") {
  CHECK_THROWS_WITH_AS(read_pha(ogip_temp("does_not_exist.pha")), doctest::Contains("does_not_exist.pha"), Error);

  std::mt19937 rng(1234);
  for (std::size_t size : {0u, 100u, 2880u, 20000u}) {
    std::vector<char> bytes(size);
    for (auto& b : bytes) b = static_cast<char>(rng());
    const auto path = ogip_temp("random.bin");
    test::write_bytes(path, bytes);
    CHECK_THROWS_WITH_AS(read_pha(path), doctest::Contains("random.bin"), Error);
    CHECK_THROWS_AS(read_rmf(path), Error);
    CHECK_THROWS_AS(read_arf(path), Error);
    CHECK_THROWS_AS(read_pha2(path), Error);
    CHECK_THROWS_AS(read_pha_bytes(bytes.data(), bytes.size(), "random bytes"), Error);
  }

  // A valid FITS header followed by garbage: starts like FITS, then nothing makes sense.
  std::vector<char> fake(5760, ' ');
  const std::string card = "SIMPLE  =                    T";
  std::copy(card.begin(), card.end(), fake.begin());
  for (std::size_t i = 2880; i < fake.size(); ++i) fake[i] = static_cast<char>(rng());
  CHECK_THROWS_AS(read_arf_bytes(fake.data(), fake.size(), "fake header"), Error);

  // Truncated copies of real files (or of our own when ../shared is absent).
  std::vector<std::pair<std::string, int>> sources;  // (path, kind 0 pha / 1 arf / 2 rmf)
  const std::string shared = test::shared_dir();
  if (!shared.empty()) {
    sources = {{shared + "/data/nustar/nu90402339002A01_sr.pha", 0},
               {shared + "/data/nustar/nu90402339002A01_sr.arf", 1},
               {shared + "/data/nustar/nuskybgd/diag.rmf", 2},
               {shared + "/data/nicer/g2_b_001_raw_opt.pha", 0}};
  } else {
    MESSAGE("../shared not found: truncating specnet-written files instead of real ones");
    write_good_arf(ogip_temp("own.arf"), 300);
    sources = {{ogip_temp("own.arf"), 1}};
  }
  for (const auto& [src, kind] : sources) {
    const auto bytes = test::read_bytes(src);
    REQUIRE(bytes.size() > 2880u * 3);
    for (double frac : {0.1, 0.5, 0.9, 0.999}) {
      std::size_t keep = static_cast<std::size_t>(bytes.size() * frac);
      CAPTURE(src);
      CAPTURE(keep);
      const auto path = ogip_temp("truncated.fits");
      test::write_bytes(path, std::vector<char>(bytes.begin(), bytes.begin() + keep));
      auto read = [&] {
        if (kind == 0) read_pha(path);
        if (kind == 1) read_arf(path);
        if (kind == 2) read_rmf(path);
      };
      CHECK_THROWS_WITH_AS(read(), doctest::Contains("truncated.fits"), Error);
    }
  }
}

TEST_CASE("ogip bad input: missing extensions, columns and keywords") {
  const auto arf = ogip_temp("only_arf.arf");
  write_good_arf(arf, 10);
  CHECK_THROWS_WITH_AS(read_pha(arf), doctest::Contains("missing extension SPECTRUM"), Error);
  CHECK_THROWS_WITH_AS(read_rmf(arf), doctest::Contains("missing extension MATRIX or SPECRESP MATRIX"), Error);

  const auto no_counts = ogip_temp("no_counts.pha");
  RawTable(no_counts, "SPECTRUM", {"CHANNEL", "FLUX"}, {"1J", "1D"}, 3)
      .col(1, {1, 2, 3})
      .col(2, {1, 1, 1})
      .key("EXPOSURE", 10.0);
  CHECK_THROWS_WITH_AS(read_pha(no_counts), doctest::Contains("[SPECTRUM]: missing column COUNTS or RATE"), Error);

  const auto no_exposure = ogip_temp("no_exposure.pha");
  RawTable(no_exposure, "SPECTRUM", {"CHANNEL", "COUNTS"}, {"1J", "1J"}, 3).col(1, {1, 2, 3}).col(2, {1, 1, 1});
  CHECK_THROWS_WITH_AS(read_pha(no_exposure), doctest::Contains("missing keyword EXPOSURE"), Error);

  // An RMF whose MATRIX lacks EBOUNDS.
  const auto no_ebounds = ogip_temp("no_ebounds.rmf");
  RawTable(no_ebounds, "MATRIX", {"ENERG_LO", "ENERG_HI", "N_GRP", "F_CHAN", "N_CHAN", "MATRIX"},
           {"1D", "1D", "1J", "1J", "1J", "1D"}, 2)
      .col(1, {1, 2})
      .col(2, {2, 3})
      .col(3, {1, 1})
      .col(4, {1, 2})
      .col(5, {1, 1})
      .col(6, {1, 1});
  CHECK_THROWS_WITH_AS(read_rmf(no_ebounds), doctest::Contains("missing extension EBOUNDS"), Error);
}

TEST_CASE("ogip bad input: NaN, negative counts, bad exposure") {
  const auto pha = test::raw_pha;
  CHECK_THROWS_WITH_AS(read_pha(pha("nan.pha", {1, NAN, 3}, 10)), doctest::Contains("COUNTS is not finite"), Error);
  CHECK_THROWS_WITH_AS(read_pha(pha("inf.pha", {1, 2, INFINITY}, 10)), doctest::Contains("not finite"), Error);
  CHECK_THROWS_WITH_AS(read_pha(pha("neg.pha", {1, -2, 3}, 10)), doctest::Contains("COUNTS is negative"), Error);
  CHECK_THROWS_WITH_AS(read_pha(pha("zero_exp.pha", {1, 2, 3}, 0)), doctest::Contains("EXPOSURE must be > 0"), Error);
  CHECK_THROWS_WITH_AS(read_pha(pha("neg_exp.pha", {1, 2, 3}, -5)), doctest::Contains("neg_exp.pha [SPECTRUM]"), Error);
  CHECK_NOTHROW(read_pha(pha("good.pha", {1, 2, 3}, 10)));

  // Writers refuse the same data instead of producing a bad file.
  Spectrum s = read_pha(ogip_temp("good.pha"));
  s.counts[1] = NAN;
  CHECK_THROWS_AS(write_pha(ogip_temp("never.pha"), s), Error);
  s.counts[1] = 1;
  s.exposure_s = 0;
  CHECK_THROWS_AS(write_pha(ogip_temp("never.pha"), s), Error);
}

TEST_CASE("ogip bad input: non-monotonic and mismatched energy grids") {
  const auto path = ogip_temp("nonmono.arf");
  RawTable(path, "SPECRESP", {"ENERG_LO", "ENERG_HI", "SPECRESP"}, {"1E", "1E", "1E"}, 4)
      .col(1, {1, 2, 1.5, 4})
      .col(2, {2, 3, 4, 5})
      .col(3, {1, 1, 1, 1});
  CHECK_THROWS_WITH_AS(read_arf(path), doctest::Contains("nonmono.arf [SPECRESP]: energy grid not monotonic at row 3"),
                       Error);

  const auto inverted = ogip_temp("inverted.arf");
  RawTable(inverted, "SPECRESP", {"ENERG_LO", "ENERG_HI", "SPECRESP"}, {"1E", "1E", "1E"}, 2)
      .col(1, {1, 3})
      .col(2, {2, 2.5})
      .col(3, {1, 1});
  CHECK_THROWS_WITH_AS(read_arf(inverted), doctest::Contains("ENERG_LO 3 > ENERG_HI 2.5"), Error);

  const auto neg_area = ogip_temp("neg_area.arf");
  RawTable(neg_area, "SPECRESP", {"ENERG_LO", "ENERG_HI", "SPECRESP"}, {"1E", "1E", "1E"}, 2)
      .col(1, {1, 2})
      .col(2, {2, 3})
      .col(3, {1, -1});
  CHECK_THROWS_WITH_AS(read_arf(neg_area), doctest::Contains("SPECRESP (cm^2) is negative"), Error);

  // ARF with another number of bins than the RMF.
  Rmf rmf;
  rmf.energy_lo_kev = {1, 2, 3};
  rmf.energy_hi_kev = {2, 3, 4};
  rmf.channel_e_min_kev = {1, 2, 3};
  rmf.channel_e_max_kev = {2, 3, 4};
  set_dense_matrix(rmf, {1, 0, 0, 0, 1, 0, 0, 0, 1});
  write_good_arf(ogip_temp("four.arf"), 4);
  const Arf four = read_arf(ogip_temp("four.arf"));
  CHECK_THROWS_WITH_AS(check_compatible(rmf, "r.rmf", four, "four.arf"),
                       doctest::Contains("four.arf has 4 energy bins but r.rmf has 3"), Error);
  CHECK_THROWS_AS(SparseResponse::build(rmf, &four), Error);
  // Same count, different edges.
  Arf shifted = four;
  shifted.energy_lo_kev = {1, 2, 3.5};
  shifted.energy_hi_kev = {2, 3.5, 4};
  shifted.area_cm2 = {1, 1, 1};
  CHECK_THROWS_WITH_AS(check_compatible(rmf, "r.rmf", shifted, "s.arf"), doctest::Contains("bin 1 of s.arf"), Error);
}

TEST_CASE("ogip bad input: channel mismatch between PHA and RMF, bad RMF groups") {
  Rmf rmf;
  rmf.first_channel = 1;
  rmf.energy_lo_kev = {1, 2};
  rmf.energy_hi_kev = {2, 3};
  rmf.channel_e_min_kev = {1, 2, 3, 4};
  rmf.channel_e_max_kev = {2, 3, 4, 5};
  set_dense_matrix(rmf, {0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5});
  Spectrum s;
  s.header.detchans = 5;
  s.header.first_channel = 1;
  s.exposure_s = 1;
  s.channel = {1, 2, 3, 4, 5};
  s.counts = {1, 1, 1, 1, 1};
  CHECK_THROWS_WITH_AS(check_compatible(s, "five.pha", rmf, "four.rmf"),
                       doctest::Contains("channel mismatch: five.pha has 5 channels (DETCHANS) but four.rmf has 4"),
                       Error);
  s.header.detchans = 4;
  s.channel = {0, 1, 2, 3};
  s.counts.pop_back();
  s.header.first_channel = 0;
  CHECK_THROWS_WITH_AS(check_compatible(s, "zero.pha", rmf, "one.rmf"), doctest::Contains("starts at channel 0"),
                       Error);

  if (!test::shared_dir().empty()) {
    const Spectrum nicer = read_pha(test::shared_dir() + "/data/nicer/g2_b_001_raw_opt.pha");
    const Rmf diag = read_rmf(test::shared_dir() + "/data/nustar/nuskybgd/diag.rmf");
    CHECK_THROWS_WITH_AS(check_compatible(nicer, "nicer.pha", diag, "diag.rmf"),
                         doctest::Contains("1501 channels (DETCHANS) but diag.rmf has 4096"), Error);
  }

  // F_CHAN beyond the channels declared by EBOUNDS.
  const auto path = ogip_temp("bad_fchan.rmf");
  {
    RawTable t(path, "MATRIX", {"ENERG_LO", "ENERG_HI", "N_GRP", "F_CHAN", "N_CHAN", "MATRIX"},
               {"1D", "1D", "1J", "1J", "1J", "2D"}, 1);
    t.col(1, {1}).col(2, {2}).col(3, {1}).col(4, {3}).col(5, {2}).col(6, {0.5, 0.5}).key("TLMIN4", 1L);
  }
  append_ebounds(path, {1, 2, 3}, {1, 2, 3}, {2, 3, 4}, "1J", "1D");
  CHECK_THROWS_WITH_AS(read_rmf(path), doctest::Contains("channels 3..4 outside the 3 channels starting at 1"), Error);
}

TEST_CASE("ogip rmf with fixed-width F_CHAN/N_CHAN/MATRIX arrays and several groups") {
  // 3 energies x 6 channels, TLMIN 1; row 1: 2 groups, row 2: 0 groups, row 3: 3 groups (one of them all zeros).
  const auto path = ogip_temp("fixed_width.rmf");
  {
    RawTable t(path, "SPECRESP MATRIX", {"ENERG_LO", "ENERG_HI", "N_GRP", "F_CHAN", "N_CHAN", "MATRIX"},
               {"1E", "1E", "1I", "3J", "3J", "6E"}, 3);
    t.col(1, {1, 2, 3}).col(2, {2, 3, 4}).col(3, {2, 0, 3});
    t.col(4, {1, 4, 0}, 1).col(5, {2, 1, 0}, 1).col(6, {0.25, 0.5, 0.125, 0, 0, 0}, 1);
    t.col(4, {0, 0, 0}, 2).col(5, {0, 0, 0}, 2).col(6, {0, 0, 0, 0, 0, 0}, 2);
    t.col(4, {1, 3, 6}, 3).col(5, {1, 2, 1}, 3).col(6, {1, 0, 0, 2, 0, 0}, 3);
    t.key("TLMIN4", 1L).key("DETCHANS", 6L);
  }
  append_ebounds(path, {1, 2, 3, 4, 5, 6}, {1, 1.5, 2, 2.5, 3, 3.5}, {1.5, 2, 2.5, 3, 3.5, 4}, "1I", "1E");
  const Rmf r = read_rmf(path);
  CHECK(r.includes_area);
  CHECK(r.first_channel == 1);
  CHECK(r.row_start == std::vector<std::int64_t>{0, 3, 3, 5});
  CHECK(r.channel_index == std::vector<std::int32_t>{0, 1, 3, 0, 5});  // zeros inside groups dropped
  CHECK(r.value == std::vector<double>{0.25, 0.5, 0.125, 1, 2});
  const auto out = fold(r, {1, 10, 100});
  CHECK(out == std::vector<double>{100.25, 0.5, 0, 0.125, 0, 200});
}

TEST_CASE("ogip bad input: corrupt header cards that overflow CFITSIO 4.2 are refused first") {
  // Found by fuzz/fuzz_ogip.cpp: an unquoted 70-character TTYPE value makes CFITSIO's ffgtbp overflow a
  // 70-byte buffer (glibc aborts). specnet must turn it into an Error before CFITSIO parses the header.
  const auto good = ogip_temp("for_corruption.arf");
  write_good_arf(good, 10);
  auto bytes = test::read_bytes(good);
  const std::string ttype = "TTYPE1  = 'ENERG_LO'";
  const auto it = std::search(bytes.begin(), bytes.end(), ttype.begin(), ttype.end());
  REQUIRE(it != bytes.end());
  auto long_value = bytes;
  std::fill(long_value.begin() + (it - bytes.begin()) + 10, long_value.begin() + (it - bytes.begin()) + 80, 'X');
  CHECK_THROWS_WITH_AS(read_arf_bytes(long_value.data(), long_value.size(), "long.arf"),
                       doctest::Contains("corrupt FITS header: HDU 2: keyword TTYPE1 has a 70-character unquoted value"),
                       Error);
  const auto path = ogip_temp("long_value.arf");
  test::write_bytes(path, long_value);
  CHECK_THROWS_WITH_AS(read_arf(path), doctest::Contains("long_value.arf: corrupt FITS header"), Error);

  auto binary_key = bytes;
  binary_key[it - bytes.begin() + 2] = static_cast<char>(0xf2);
  CHECK_THROWS_WITH_AS(read_arf_bytes(binary_key.data(), binary_key.size(), "binary.arf"),
                       doctest::Contains("non-ASCII byte in a keyword name"), Error);
  CHECK_NOTHROW(read_arf_bytes(bytes.data(), bytes.size(), "intact.arf"));
}
