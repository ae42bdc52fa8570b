// Tests for fakeit: expected counts with background scaling, Poisson totals, determinism across seeds and
// thread counts, PHA Type I / II output read back, priors and bad inputs.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <numeric>

#include "ogip_test_util.h"
#include "specnet/context.h"
#include "sim_test_util.h"
#include "specnet/error.h"
#include "specnet/io/pha.h"
#include "specnet/io/pha2.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/nustar_background.h"

using namespace specnet;
using namespace specnet::sim;

namespace {
const InstrumentResponse& nustar() { return test::builtin_nustar(); }
std::vector<double> photons_of(const CompositeModel& m, const InstrumentResponse& r) {
  return m.evaluate(r.energy_edges_kev());
}
double total(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }
}  // namespace

TEST_CASE("sim fakeit: expected counts = t * folded rate + t * background * BACKSCAL ratio") {
  const std::vector<double> bkg(4096, 1e-4);
  const FakeitSetup s = make_fakeit_setup(nustar(), 2e4, bkg, 0.5, 2.0);
  CompositeModel m("powerlaw");
  m.set("powerlaw_1.norm", 0.0);
  const auto photons = photons_of(m, nustar());
  std::vector<double> mean(4096);
  expected_counts(s, photons.data(), mean.data());
  for (double v : mean) REQUIRE(v == doctest::Approx(1e-4 * 2e4 * 0.25));
  m.set("powerlaw_1.norm", 0.1);
  const auto p2 = photons_of(m, nustar());
  const FakeitSetup no_bkg = make_fakeit_setup(nustar(), 2e4);
  std::vector<double> folded;
  no_bkg.matrix.fold_into(folded, p2);
  expected_counts(no_bkg, p2.data(), mean.data());
  for (std::size_t h = 0; h < mean.size(); h += 97) CHECK(mean[h] == doctest::Approx(2e4 * folded[h]));
  // Poisson total over all channels: within 5 sigma of the expected total.
  const auto counts = fake_counts(no_bkg, p2.data(), 11, 0);
  const double expected = total(mean);
  CHECK(std::fabs(total(counts) - expected) < 5 * std::sqrt(expected));
}

TEST_CASE("sim fakeit: same seed and stream -> identical spectra, different -> different") {
  const FakeitSetup s = make_fakeit_setup(nustar(), 1e4);
  const CompositeModel m("tbabs*powerlaw");
  const auto photons = photons_of(m, nustar());
  CHECK(fake_counts(s, photons.data(), 5, 3) == fake_counts(s, photons.data(), 5, 3));
  CHECK(fake_counts(s, photons.data(), 5, 3) != fake_counts(s, photons.data(), 6, 3));
  CHECK(fake_counts(s, photons.data(), 5, 3) != fake_counts(s, photons.data(), 5, 4));
}

TEST_CASE("sim fakeit: datasets are identical for 1 and 2 threads; priors respected; file read back") {
  NustarRegion region;
  const auto bg = nustar_background(nustar(), region);
  const FakeitSetup s = make_fakeit_setup(nustar(), 1e5, bg.total, nustar_backscal(region.area_arcmin2),
                                          nustar_backscal(4 * region.area_arcmin2));
  CompositeModel m("tbabs*(bremss+powerlaw)");
  m.set("tbabs_1.nH", 1.0);
  const auto priors = parse_priors("bremss_2.kT=1:10,bremss_2.norm=1e-3:1e-1:log,powerlaw_3.PhoIndex=1.5:2.5");
  const std::int64_t n = 40, H = 4096, P = m.num_params();
  std::vector<double> c1(n * H), p1(n * P), c2(n * H), p2(n * P);
  const int threads = num_threads();
  set_num_threads(1);
  simulate_block(s, m, priors, 99, 0, n, c1.data(), p1.data());
  set_num_threads(2);
  simulate_block(s, m, priors, 99, 0, n, c2.data(), p2.data());
  CHECK(c1 == c2);
  CHECK(p1 == p2);
  // Any block split gives the same spectra: spectra [10, 20) simulated alone equal rows 10..19.
  std::vector<double> c3(10 * H), p3(10 * P);
  simulate_block(s, m, priors, 99, 10, 10, c3.data(), p3.data());
  CHECK(std::equal(c3.begin(), c3.end(), c1.begin() + 10 * H));
  // Batched folding inside simulate_block equals the single-spectrum path with the same parameters.
  CompositeModel m7(m);
  for (std::int64_t p = 0; p < P; ++p)
    if (m7.params()[p].link < 0) m7.set(m7.params()[p].name, p1[7 * P + p]);
  const auto single = fake_counts(s, photons_of(m7, nustar()).data(), 99, 2 * 7);
  CHECK(std::equal(single.begin(), single.end(), c1.begin() + 7 * H));
  const std::int64_t kt = m.param_index("bremss_2.kT"), norm = m.param_index("bremss_2.norm");
  for (std::int64_t i = 0; i < n; ++i) {
    CHECK(p1[i * P + kt] >= 1.0);
    CHECK(p1[i * P + kt] <= 10.0);
    CHECK(p1[i * P + norm] >= 1e-3);
    CHECK(p1[i * P + norm] <= 1e-1);
    CHECK(p1[i * P + m.param_index("tbabs_1.nH")] == 1.0);
  }

  const std::string path = test::ogip_temp("fakeit_set.pha"), bpath = test::ogip_temp("fakeit_set_bkg.pha");
  DatasetOptions opt;
  opt.count = n;
  opt.seed = 99;
  opt.chunk = 8;
  opt.progress = false;
  set_num_threads(1);
  simulate_dataset(s, m, priors, opt, path, bpath);
  const io::SpectrumSet set1 = io::read_pha2(path);
  set_num_threads(2);
  simulate_dataset(s, m, priors, opt, path, bpath);
  const io::SpectrumSet set2 = io::read_pha2(path);
  set_num_threads(threads);
  REQUIRE(set1.num_spectra() == static_cast<std::size_t>(n));
  CHECK(set1.counts == set2.counts);
  CHECK(set1.counts == c1);
  CHECK(set1.params.values == p1);
  REQUIRE(set1.params.names.size() == static_cast<std::size_t>(P));
  CHECK(set1.params.names[1] == "bremss_2_kT");
  CHECK(set1.params.units[1] == "keV");
  CHECK(set1.header.backfile == bpath);
  CHECK(set1.header.telescop == "NuSTAR");
  test::check_fitsverify(path);
  const io::Spectrum b = io::read_pha(bpath);
  CHECK(b.backscal == doctest::Approx(s.background_backscal));
  CHECK(b.header.hduclas2 == "BKG");
  const double bexp = total(bg.total) * 1e5;
  CHECK(std::fabs(total(b.counts) - bexp) < 5 * std::sqrt(bexp));
}

TEST_CASE("sim fakeit: single spectrum PHA round trip") {
  const FakeitSetup s = make_fakeit_setup(builtin_response("nicer"), 500);
  const CompositeModel m("tbabs*bremss");
  const auto photons = photons_of(m, s.response);
  const auto counts = fake_counts(s, photons.data(), 1, 0);
  const std::string path = test::ogip_temp("fakeit_nicer.pha");
  io::write_pha(path, make_source_pha(s, counts, ""));
  const io::Spectrum back = io::read_pha(path);
  CHECK(back.counts == counts);
  CHECK(back.exposure_s == 500);
  CHECK(back.header.first_channel == 0);
  CHECK(back.header.detchans == 1501);
  test::check_fitsverify(path);
}

TEST_CASE("sim fakeit: bad inputs are clear errors") {
  CHECK_THROWS_WITH_AS(make_fakeit_setup(nustar(), -5), doctest::Contains("exposure"), Error);
  CHECK_THROWS_AS(make_fakeit_setup(nustar(), std::nan("")), Error);
  CHECK_THROWS_AS(make_fakeit_setup(nustar(), 1e3, std::vector<double>(10, 1.0)), Error);
  CHECK_THROWS_AS(make_fakeit_setup(nustar(), 1e3, std::vector<double>(4096, -1.0)), Error);
  CHECK_THROWS_AS(make_fakeit_setup(nustar(), 1e3, {}, 0.0), Error);
  CHECK_THROWS_WITH_AS(load_response("xmm"), doctest::Contains("xmm"), Error);
  CompositeModel m("powerlaw");
  CHECK_THROWS_AS(m.set("powerlaw_1.PhoIndex", std::nan("")), Error);
  CHECK_THROWS_WITH_AS(parse_priors("powerlaw_1.PhoIndex=3:1"), doctest::Contains("lo must be < hi"), Error);
  CHECK_THROWS_AS(parse_priors("powerlaw_1.PhoIndex=2:2"), Error);
  CHECK_THROWS_AS(parse_priors("powerlaw_1.norm=0:1:log"), Error);
  CHECK_THROWS_AS(parse_priors("powerlaw_1.norm=a:1"), Error);
  CHECK_THROWS_AS(parse_priors("powerlaw_1.norm=nan:1"), Error);
  CHECK_THROWS_AS(parse_priors("powerlaw_1.norm"), Error);
  CHECK_THROWS_AS(parse_param_values("powerlaw_1.norm=x"), Error);
  const FakeitSetup s = make_fakeit_setup(nustar(), 1e3);
  std::vector<double> c(4096), p(3);
  CHECK_THROWS_AS(simulate_block(s, m, parse_priors("nosuch=1:2"), 1, 0, 1, c.data(), p.data()), Error);
  CHECK_THROWS_WITH_AS(simulate_block(s, m, parse_priors("powerlaw_1.PhoIndex=-9:2"), 1, 0, 1, c.data(), p.data()),
                       doctest::Contains("hard limits"), Error);
  DatasetOptions opt;
  opt.count = 0;
  CHECK_THROWS_AS(simulate_dataset(s, m, {}, opt, test::ogip_temp("never.pha")), Error);
}
