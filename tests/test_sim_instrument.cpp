// Tests for the built-in responses: Gaussian RMF normalisation and resolution, diagonal folding, embedded ARF
// tables vs the real ARFs (when ../shared exists) and bad names/grids.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "harness.h"
#include "ogip_test_util.h"
#include "specnet/error.h"
#include "specnet/io/arf.h"
#include "specnet/sim/composite_model.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/instrument.h"

using namespace specnet;
using namespace specnet::sim;

namespace {

// FWHM of one RMF row: interpolated half-maximum crossings of the row divided by the channel widths.
double row_fwhm_kev(const io::Rmf& rmf, std::size_t e) {
  std::vector<double> x, y;
  for (auto k = rmf.row_start[e]; k < rmf.row_start[e + 1]; ++k) {
    const int h = rmf.channel_index[k];
    x.push_back(0.5 * (rmf.channel_e_min_kev[h] + rmf.channel_e_max_kev[h]));
    y.push_back(rmf.value[k] / (rmf.channel_e_max_kev[h] - rmf.channel_e_min_kev[h]));
  }
  std::size_t peak = 0;
  for (std::size_t i = 0; i < y.size(); ++i)
    if (y[i] > y[peak]) peak = i;
  const double half = 0.5 * y[peak];
  std::size_t l = peak, r = peak;
  while (l > 0 && y[l - 1] > half) --l;
  while (r + 1 < y.size() && y[r + 1] > half) ++r;
  REQUIRE(l > 0);
  REQUIRE(r + 1 < y.size());
  const double xl = x[l - 1] + (half - y[l - 1]) / (y[l] - y[l - 1]) * (x[l] - x[l - 1]);
  const double xr = x[r] + (half - y[r]) / (y[r + 1] - y[r]) * (x[r + 1] - x[r]);
  return xr - xl;
}

std::size_t energy_bin(const io::Rmf& rmf, double e_kev) {
  for (std::size_t e = 0; e < rmf.num_energies(); ++e)
    if (rmf.energy_lo_kev[e] <= e_kev && e_kev < rmf.energy_hi_kev[e]) return e;
  FAIL("energy not on the grid");
  return 0;
}

}  // namespace

TEST_CASE("sim instrument: resolution through the documented points") {
  CHECK(nustar_resolution().fwhm_kev(6.0) == doctest::Approx(0.4).epsilon(1e-12));
  CHECK(nustar_resolution().fwhm_kev(60.0) == doctest::Approx(0.9).epsilon(1e-12));
  CHECK(nicer_resolution().fwhm_kev(1.0) == doctest::Approx(0.085).epsilon(1e-12));
  CHECK(nicer_resolution().fwhm_kev(6.0) == doctest::Approx(0.137).epsilon(1e-12));
  CHECK_THROWS_AS(GaussianResolution::through(6, 0.4, 6, 0.9), Error);
  CHECK_THROWS_AS(GaussianResolution::through(6, -0.4, 60, 0.9), Error);
}

TEST_CASE("sim instrument: built-in Gaussian RMF rows sum to 1 and have the specified FWHM") {
  struct Case { const char* name; std::size_t channels; double e_kev[3]; };
  for (const Case& c : {Case{"nustar", 4096, {6.0, 20.0, 60.0}}, Case{"nicer", 1501, {1.0, 3.0, 6.0}}}) {
    CAPTURE(c.name);
    const InstrumentResponse r = builtin_response(c.name);
    CHECK(r.rmf.num_channels() == c.channels);
    CHECK(r.rmf.first_channel == 0);
    io::validate(r.rmf, c.name);
    const GaussianResolution res = std::string(c.name) == "nustar" ? nustar_resolution() : nicer_resolution();
    for (std::size_t e = 0; e < r.rmf.num_energies(); ++e) {
      const double centre = 0.5 * (r.rmf.energy_lo_kev[e] + r.rmf.energy_hi_kev[e]);
      if (centre < r.rmf.channel_e_min_kev.front() || centre >= r.rmf.channel_e_max_kev.back()) continue;
      double sum = 0;
      for (auto k = r.rmf.row_start[e]; k < r.rmf.row_start[e + 1]; ++k) sum += r.rmf.value[k];
      REQUIRE(sum == doctest::Approx(1.0).epsilon(1e-12));
    }
    for (double e_kev : c.e_kev) {
      CAPTURE(e_kev);
      // Channel width w adds w^2/12 of variance to the sampled profile: remove it before comparing.
      const std::size_t e = energy_bin(r.rmf, e_kev);
      const double w = r.rmf.channel_e_max_kev[0] - r.rmf.channel_e_min_kev[0];
      const double measured = row_fwhm_kev(r.rmf, e);
      const double expected = std::sqrt(std::pow(res.fwhm_kev(e_kev), 2) + 8 * std::log(2.0) * w * w / 12);
      CHECK(measured == doctest::Approx(expected).scale(0).epsilon(0.03));
    }
  }
  CHECK(builtin_response("nustar").rmf.channel_e_min_kev[100] == doctest::Approx(1.6 + 0.04 * 100));
  CHECK(builtin_response("nicer").rmf.channel_e_max_kev[1500] == doctest::Approx(15.01));
}

TEST_CASE("sim instrument: folding through a diagonal response returns the model") {
  const std::vector<double> edges = log_grid(0.5, 10.0, 64);
  io::Rmf rmf;
  rmf.first_channel = 1;
  rmf.energy_lo_kev.assign(edges.begin(), edges.end() - 1);
  rmf.energy_hi_kev.assign(edges.begin() + 1, edges.end());
  rmf.channel_e_min_kev = rmf.energy_lo_kev;
  rmf.channel_e_max_kev = rmf.energy_hi_kev;
  std::vector<double> dense(64 * 64, 0.0);
  for (int i = 0; i < 64; ++i) dense[i * 64 + i] = 1.0;
  io::set_dense_matrix(rmf, dense);
  InstrumentResponse r;
  r.rmf = rmf;
  const CompositeModel model("tbabs*powerlaw");
  const std::vector<double> photons = model.evaluate(edges);
  std::vector<double> folded;
  r.matrix().fold_into(folded, photons);
  REQUIRE(folded.size() == photons.size());
  for (std::size_t i = 0; i < photons.size(); ++i) CHECK(folded[i] == doctest::Approx(photons[i]).epsilon(1e-14));
}

TEST_CASE("sim instrument: Gaussian RMF inputs are checked") {
  const std::vector<double> edges = linear_grid(1, 2, 10);
  CHECK_THROWS_AS(gaussian_rmf(edges, {1.0}, 0, nustar_resolution()), Error);
  CHECK_THROWS_AS(gaussian_rmf(edges, {1.0, 1.0, 2.0}, 0, nustar_resolution()), Error);
  CHECK_THROWS_AS(gaussian_rmf(edges, linear_grid(1, 2, 5), 0, nustar_resolution(), 0.5), Error);
  CHECK_THROWS_AS(gaussian_rmf({2.0, 1.0}, linear_grid(1, 2, 5), 0, nustar_resolution()), Error);
  CHECK_THROWS_AS(builtin_response("chandra"), Error);
  CHECK_THROWS_AS(load_response(""), Error);
  CHECK_THROWS_AS(load_response("/nonexistent/file.rmf"), Error);
  CHECK_THROWS_AS(builtin_area_cm2("xmm", 5.0), Error);
  CHECK_THROWS_AS(builtin_area_cm2("nustar", std::nan("")), Error);
}

TEST_CASE("sim instrument: embedded ARF tables match the real ARFs within 1% in band") {
  const std::string shared = test::shared_dir();
  if (shared.empty()) {
    MESSAGE("../shared not found: skipping the comparison with the real ARFs");
    return;
  }
  struct Case { const char* table; const char* path; double lo, hi; };
  for (const Case& c : {Case{"nustar", "/data/nustar/nu90402339002A01_sr.arf", 3, 79},
                        Case{"nicer", "/data/nicer/2050300110_g2_b_001.arf", 0.2, 12},
                        Case{"nustar_fcxb", "/data/nustar/nuskybgd/fcxbA.arf", 3, 79},
                        Case{"nustar_be", "/data/nustar/nuskybgd/be.arf", 3, 79}}) {
    CAPTURE(c.table);
    const io::Arf arf = io::read_arf(shared + c.path);
    int compared = 0;
    double worst = 0;
    for (std::size_t e = 0; e < arf.num_energies(); ++e) {
      // nuskybgd's be.arf rounds its top edges; the NuSTAR grid is 1.6 + 0.04 i for every NuSTAR file.
      const double centre = std::string(c.table).rfind("nustar", 0) == 0
                                ? 1.6 + 0.04 * (static_cast<double>(e) + 0.5)
                                : 0.5 * (arf.energy_lo_kev[e] + arf.energy_hi_kev[e]);
      if (centre < c.lo || centre > c.hi) continue;
      const double rel = std::fabs(builtin_area_cm2(c.table, centre) - arf.area_cm2[e]) / arf.area_cm2[e];
      worst = std::max(worst, rel);
      ++compared;
    }
    CHECK(compared > 100);
    CHECK(worst < 0.01);
  }
  // The built-in NuSTAR response carries the table on the ARF's own grid.
  const InstrumentResponse r = builtin_response("nustar");
  const io::Arf real = io::read_arf(shared + "/data/nustar/nu90402339002A01_sr.arf");
  REQUIRE(r.arf.num_energies() == real.num_energies());
  CHECK(r.arf.area_cm2[500] == doctest::Approx(real.area_cm2[500]).epsilon(0.01));
}

TEST_CASE("sim instrument: user RMF and ARF files load and fold like the built-in response") {
  const InstrumentResponse builtin = builtin_response("nicer");
  const std::string rmf_path = test::ogip_temp("nicer_gauss.rmf"), arf_path = test::ogip_temp("nicer_table.arf");
  io::write_rmf(rmf_path, builtin.rmf);
  io::write_arf(arf_path, builtin.arf);
  const InstrumentResponse user = load_response(rmf_path + "," + arf_path);
  CHECK(user.name == rmf_path);
  CHECK(user.has_arf());
  CHECK(user.num_channels() == 1501);
  const CompositeModel model("tbabs*bremss");
  const std::vector<double> photons = model.evaluate(builtin.energy_edges_kev());
  std::vector<double> a, b;
  builtin.matrix().fold_into(a, photons);
  user.matrix().fold_into(b, photons);
  REQUIRE(a.size() == b.size());
  double total = 0;
  for (double v : a) total += v;
  for (std::size_t h = 0; h < a.size(); ++h) CHECK(b[h] == doctest::Approx(a[h]).epsilon(1e-5).scale(1e-9 * total));
  // RMF alone (no ARF): folding gives counts per cm^2.
  CHECK_FALSE(load_response(rmf_path).has_arf());
  CHECK_THROWS_AS(load_response(rmf_path + ","), Error);
  CHECK_THROWS_AS(load_response(rmf_path + ",/nonexistent.arf"), Error);
}
