// Round trips of the OGIP writers and readers (PHA I counts and rate, PHA II + PARAMS, RMF with several groups
// per row and TLMIN 0/1, ARF), each written file checked with fitsverify as HEASoft would.
#include <doctest/doctest.h>

#include <cmath>

#include "ogip_test_util.h"
#include "specnet/error.h"
#include "specnet/io/arf.h"
#include "specnet/io/pha.h"
#include "specnet/io/pha2.h"
#include "specnet/io/rmf.h"

using namespace specnet;
using namespace specnet::io;
using specnet::test::check_fitsverify;
using specnet::test::ogip_temp;

namespace {

Spectrum make_spectrum(int n, int first_channel, bool rate) {
  Spectrum s;
  s.header.telescop = "NuSTAR";
  s.header.instrume = "FPMA";
  s.header.first_channel = first_channel;
  s.header.detchans = n;
  s.header.is_rate = rate;
  s.header.respfile = "sim.rmf";
  s.header.ancrfile = "sim.arf";
  s.header.backfile = "sim_bk.pha";
  s.exposure_s = 36037.62277030166;
  s.backscal = 0.00346390427866689;
  s.areascal = 0.95;
  for (int i = 0; i < n; ++i) {
    s.channel.push_back(first_channel + i);
    s.counts.push_back(rate ? 0.125 * i + 1e-3 : static_cast<double>((i * 37) % 101));
  }
  return s;
}

void check_same(const Spectrum& a, const Spectrum& b) {
  CHECK(b.header.telescop == a.header.telescop);
  CHECK(b.header.instrume == a.header.instrume);
  CHECK(b.header.first_channel == a.header.first_channel);
  CHECK(b.header.detchans == a.header.detchans);
  CHECK(b.header.is_rate == a.header.is_rate);
  CHECK(b.header.poisserr == a.header.poisserr);
  CHECK(b.header.respfile == a.header.respfile);
  CHECK(b.header.ancrfile == a.header.ancrfile);
  CHECK(b.header.backfile == a.header.backfile);
  CHECK(b.exposure_s == a.exposure_s);
  CHECK(b.backscal == a.backscal);
  CHECK(b.areascal == a.areascal);
  CHECK(b.channel == a.channel);
  CHECK(b.counts == a.counts);
  CHECK(b.stat_err == a.stat_err);
  CHECK(b.sys_err == a.sys_err);
  CHECK(b.quality == a.quality);
  CHECK(b.grouping == a.grouping);
  CHECK(b.areascal_per_channel == a.areascal_per_channel);
}

// E energies on a log grid, H channels; each row has 1-3 separated groups so N_GRP > 1 is exercised.
Rmf make_rmf(int n_e, int n_h, int first_channel) {
  Rmf r;
  r.first_channel = first_channel;
  r.telescop = "TEST";
  r.instrume = "DET";
  for (int e = 0; e < n_e; ++e) {
    r.energy_lo_kev.push_back(0.5 * std::pow(1.05, e));
    r.energy_hi_kev.push_back(0.5 * std::pow(1.05, e + 1));
  }
  for (int h = 0; h < n_h; ++h) {
    r.channel_e_min_kev.push_back(0.1 * h);
    r.channel_e_max_kev.push_back(0.1 * (h + 1));
  }
  std::vector<double> dense(static_cast<std::size_t>(n_e) * n_h, 0.0);  // (E, H)
  for (int e = 0; e < n_e; ++e) {
    const int groups = 1 + e % 3;
    for (int g = 0; g < groups; ++g) {
      const int start = (e + 11 * g) % (n_h - 3);
      for (int j = 0; j < 3; ++j) dense[e * n_h + start + j] = 0.01 * (1 + e) + 0.001 * j + 0.1 * g;
    }
  }
  set_dense_matrix(r, dense);
  return r;
}

}  // namespace

TEST_CASE("ogip pha type I round trip (counts, optional columns)") {
  Spectrum s = make_spectrum(64, 0, false);
  s.header.poisserr = false;
  for (int i = 0; i < 64; ++i) {
    s.stat_err.push_back(std::sqrt(s.counts[i] + 1.0));
    s.sys_err.push_back(0.01);
    s.quality.push_back(i < 3 ? 1 : 0);
    s.grouping.push_back(i % 4 == 0 ? 1 : -1);
  }
  const auto path = ogip_temp("pha1_counts.pha");
  write_pha(path, s);
  check_fitsverify(path);
  check_same(s, read_pha(path));

  // The same with AREASCAL as a column and first channel 1.
  Spectrum t = make_spectrum(32, 1, false);
  t.areascal = 1;
  t.areascal_per_channel.assign(32, 0.5);
  t.areascal_per_channel[7] = 0.75;
  const auto path2 = ogip_temp("pha1_areascal.pha");
  write_pha(path2, t);
  check_fitsverify(path2);
  check_same(t, read_pha(path2));
}

TEST_CASE("ogip pha type I round trip (rate, non-integral counts)") {
  Spectrum s = make_spectrum(100, 1, true);
  s.stat_err.assign(100, 0.25);
  const auto path = ogip_temp("pha1_rate.pha");
  write_pha(path, s);
  check_fitsverify(path);
  const Spectrum r = read_pha(path);
  check_same(s, r);
  CHECK(r.header.is_rate);

  Spectrum c = make_spectrum(10, 0, false);
  c.counts[3] = 2.5;  // real-valued COUNTS are legal (written as doubles)
  const auto path2 = ogip_temp("pha1_real_counts.pha");
  write_pha(path2, c);
  check_fitsverify(path2);
  CHECK(read_pha(path2).counts[3] == 2.5);
}

TEST_CASE("ogip pha type II round trip with a PARAMS table, single-row reads") {
  SpectrumSet set;
  set.header.telescop = "NICER";
  set.header.instrume = "XTI";
  set.header.first_channel = 0;
  set.header.detchans = 50;
  set.num_channels = 50;
  set.params.names = {"nH", "Gamma", "norm"};
  set.params.units = {"1e22 cm**-2", "", "photons/keV/cm**2/s"};
  const int n_s = 7;
  for (int i = 0; i < n_s; ++i) {
    set.spec_num.push_back(i + 1);
    for (int c = 0; c < 50; ++c) set.counts.push_back(static_cast<double>((i * 13 + c * 7) % 29));
    set.exposure_s.push_back(1000.0 + i);
    set.backscal.push_back(1.0 + 0.1 * i);
    set.areascal.push_back(1.0);
    set.params.values.insert(set.params.values.end(), {0.1 * i, 1.5 + 0.05 * i, 1e-3 * (i + 1)});
  }
  const auto path = ogip_temp("pha2.pha");
  write_pha2(path, set);
  check_fitsverify(path);

  const SpectrumSet r = read_pha2(path);
  CHECK(r.num_spectra() == static_cast<std::size_t>(n_s));
  CHECK(r.num_channels == 50u);
  CHECK(r.header.first_channel == 0);
  CHECK(r.header.telescop == "NICER");
  CHECK(r.spec_num == set.spec_num);
  CHECK(r.counts == set.counts);
  CHECK(r.exposure_s == set.exposure_s);
  CHECK(r.backscal == set.backscal);
  CHECK(r.params.names == set.params.names);
  CHECK(r.params.units == set.params.units);
  CHECK(r.params.values == set.params.values);

  const Pha2Row row = read_pha2_row(path, 4);
  CHECK(row.spec_num == 5);
  CHECK(row.spectrum.exposure_s == 1004.0);
  CHECK(row.spectrum.backscal == doctest::Approx(1.4));
  CHECK(row.spectrum.channel.front() == 0);
  CHECK(row.spectrum.channel.back() == 49);
  CHECK(std::vector<double>(set.counts.begin() + 4 * 50, set.counts.begin() + 5 * 50) == row.spectrum.counts);
  CHECK(row.param_names == set.params.names);
  CHECK(row.params == std::vector<double>{0.4, 1.7, 5e-3});
  CHECK_THROWS_AS(read_pha2_row(path, n_s), Error);

  // A Type II file is refused by the Type I reader with a message that says so.
  CHECK_THROWS_WITH_AS(read_pha(path), doctest::Contains("Type II"), Error);
}

TEST_CASE("ogip pha type II streaming writer (rates with errors)") {
  PhaHeader h;
  h.detchans = 8;
  h.is_rate = true;
  h.hduclas2 = "NET";
  ParamTable p;
  p.names = {"kT"};
  const auto path = ogip_temp("pha2_stream.pha");
  {
    Pha2Writer w(path, h, 8, p, false, true);
    std::vector<double> rate(8), err(8, 0.5);
    for (int i = 0; i < 3; ++i) {
      for (int c = 0; c < 8; ++c) rate[c] = -0.5 + 0.25 * c + i;  // NET rates may be negative
      w.append(rate.data(), 10.0 * (i + 1), {0.5 * (i + 1)}, 1.0, 1.0, err.data());
    }
    CHECK_THROWS_AS(w.append(rate.data(), 0.0, {1.0}, 1.0, 1.0, err.data()), Error);  // zero exposure
    CHECK_THROWS_AS(w.append(rate.data(), 1.0, {1.0, 2.0}, 1.0, 1.0, err.data()), Error);  // wrong param count
    CHECK(w.rows_written() == 3u);
    w.close();
  }
  check_fitsverify(path);
  const SpectrumSet r = read_pha2(path);
  CHECK(r.num_spectra() == 3u);
  CHECK(r.header.is_rate);
  CHECK(r.counts[0] == -0.5);
  CHECK(r.counts[2 * 8 + 7] == doctest::Approx(3.25));
  CHECK(r.stat_err.size() == 24u);
  CHECK(r.params.values == std::vector<double>{0.5, 1.0, 1.5});
  CHECK(r.exposure_s[2] == 30.0);
}

TEST_CASE("ogip rmf round trip with several groups per row, TLMIN 0 and 1") {
  for (int first : {0, 1}) {
    CAPTURE(first);
    const Rmf rmf = make_rmf(40, 30, first);
    const auto path = ogip_temp("rmf_tlmin" + std::to_string(first) + ".rmf");
    write_rmf(path, rmf);
    check_fitsverify(path);
    const Rmf r = read_rmf(path);
    CHECK(r.first_channel == first);
    CHECK(r.num_energies() == 40u);
    CHECK(r.num_channels() == 30u);
    CHECK(r.energy_lo_kev == rmf.energy_lo_kev);
    CHECK(r.energy_hi_kev == rmf.energy_hi_kev);
    CHECK(r.channel_e_min_kev == rmf.channel_e_min_kev);
    CHECK(r.row_start == rmf.row_start);
    CHECK(r.channel_index == rmf.channel_index);
    CHECK(r.value == rmf.value);
    CHECK(r.telescop == "TEST");
    CHECK_FALSE(r.includes_area);
  }
}

TEST_CASE("ogip arf round trip") {
  Arf arf;
  arf.telescop = "NICER";
  arf.instrume = "XTI";
  for (int e = 0; e < 100; ++e) {
    arf.energy_lo_kev.push_back(0.1 + 0.01 * e);
    arf.energy_hi_kev.push_back(0.1 + 0.01 * (e + 1));
    arf.area_cm2.push_back(100.0 * std::exp(-0.5 * std::pow((e - 40) / 15.0, 2)));
  }
  const auto path = ogip_temp("arf.arf");
  write_arf(path, arf);
  check_fitsverify(path);
  const Arf r = read_arf(path);
  CHECK(r.energy_lo_kev == arf.energy_lo_kev);
  CHECK(r.energy_hi_kev == arf.energy_hi_kev);
  CHECK(r.area_cm2 == arf.area_cm2);
  CHECK(r.telescop == "NICER");
  CHECK(r.instrume == "XTI");
}
