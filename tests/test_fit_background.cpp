// Tests for background components fitted jointly with the source (nuskybgd shapes fixed, scale factors within
// +-10%, as the IC paper's XSPEC fits): recovery of a 1.05 scaling, the bounds, bad input, and model comparison.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "fit_test_util.h"
#include "specnet/error.h"
#include "specnet/fit/model_compare.h"
#include "specnet/sim/nustar_background.h"

using namespace specnet;
using namespace specnet::fit;

namespace {

// nuskybgd background of a 2 arcmin radius cluster region on the built-in NuSTAR response.
const sim::NustarBackground& cluster_background() {
  static const sim::NustarBackground b = [] {
    sim::NustarRegion region;
    region.area_arcmin2 = sim::circle_area_arcmin2(120.0);
    return sim::nustar_background(test::builtin_nustar(), region);
  }();
  return b;
}

// 1 Ms NuSTAR counts (H) of `truth` plus the background with every component scaled by `scale`.
std::vector<double> fake_with_background(const sim::CompositeModel& truth, double scale, std::uint64_t seed) {
  std::vector<double> bkg = cluster_background().total;
  for (double& v : bkg) v *= scale;
  const sim::FakeitSetup setup = sim::make_fakeit_setup(test::builtin_nustar(), 1e6, bkg);
  return test::fake_spectrum(setup, truth, seed, 0);
}

SpectrumOptions with_background() {
  SpectrumOptions o;
  o.e_min_kev = 3;
  o.e_max_kev = 50;
  o.min_counts = 100;
  add_nustar_background(o, cluster_background());
  return o;
}

sim::CompositeModel two_t_truth(const ClusterSetup& s) {
  auto truth = two_temperature_model(s, 1.0);
  truth.set("apec_2.kT", 9.0);
  truth.set("apec_2.norm", 4e-3);
  truth.set("apec_3.kT", 1.5);
  truth.set("apec_3.norm", 6e-3);
  return truth;
}

void print_scales(const char* what, const FitResult& r) {
  for (std::size_t j = 0; j < r.names.size(); ++j)
    if (r.names[j].rfind("bkgscale_", 0) == 0)
      std::printf("fit background (%s): %-20s %.4f +- %.4f\n", what, r.names[j].c_str(), r.values[j], r.errors[j]);
}

// Both fits to 1 Ms counts of `truth` with the background scaled by `scale`, printed (and logged for failures).
ModelComparison compare_with_background(const sim::CompositeModel& truth, double scale, std::uint64_t seed,
                                        const ClusterSetup& s, const char* label) {
  const auto counts = fake_with_background(truth, scale, seed);
  const ModelComparison c = compare_2t_vs_ic(test::nustar_matrix(), counts, 1e6, with_background(), s);
  std::printf("fit compare (bkg): %s truth: C/dof 2T %.3f, 1T+IC %.3f, delta C %.1f -> %s\n", label,
              c.two_temperature.reduced, c.thermal_plus_ic.reduced, c.delta_c, c.preferred().c_str());
  print_scales(label, c.preferred() == "2T" ? c.two_temperature : c.thermal_plus_ic);
  return c;
}

}  // namespace

TEST_CASE("fit background: scale factors of the nuskybgd components recover a 1.05 scaling within errors") {
  ClusterSetup s;
  const auto counts = fake_with_background(two_t_truth(s), 1.05, 41);
  FitProblem problem(two_temperature_model(s, 2e-3), test::nustar_matrix(), counts, 1e6, with_background());
  REQUIRE(problem.num_background_components() == 4);
  CHECK(problem.num_free() == 5 + 4);
  FitOptions fo;
  fo.interval_params = {"bkgscale_internal"};
  const FitResult r = fit_model(problem, fo);
  INFO(format_fit(r, Statistic::cstat));
  print_scales("2T, true 1.05", r);
  CHECK(r.converged);
  REQUIRE(r.names.size() == 9);
  CHECK(r.names[5] == "bkgscale_aperture");
  CHECK(r.names[8] == "bkgscale_continuum");
  const std::vector<double> scales = background_scales(r);
  REQUIRE(scales.size() == 4);
  CHECK(problem.background_scales() == scales);
  // Every factor stays inside its bounds; each one the data constrain (error < 0.05) recovers 1.05 within 3 sigma.
  // The internal component (lines + apec, dominant above 20 keV) is the best constrained; aperture and fcxb are
  // nearly degenerate with each other and with the source continuum.
  int constrained = 0;
  for (int k = 0; k < 4; ++k) {
    CHECK(scales[k] >= 0.9);
    CHECK(scales[k] <= 1.1);
    const double err = r.errors[5 + k];
    if (std::isfinite(err) && err < 0.05) {
      ++constrained;
      CAPTURE(r.names[5 + k]);
      CHECK(std::fabs(scales[k] - 1.05) < 3 * err);
    }
  }
  CHECK(constrained >= 1);
  CHECK(r.errors[7] < 0.05);  // internal
  REQUIRE(r.intervals.size() == 1);
  CHECK(r.intervals[0].lo <= 1.05);
  CHECK(r.intervals[0].hi >= 1.05);
  // The source parameters are not biased by the background scaling.
  CHECK(r.values[0] == doctest::Approx(9.0).epsilon(0.1));
  CHECK(r.values[3] == doctest::Approx(1.5).epsilon(0.1));
}

TEST_CASE("fit background: a background scaled beyond the bound stops the factor at the bound") {
  ClusterSetup s;
  const auto counts = fake_with_background(two_t_truth(s), 1.3, 42);
  FitProblem problem(two_temperature_model(s, 2e-3), test::nustar_matrix(), counts, 1e6, with_background());
  FitOptions fo;
  fo.errors = false;
  const FitResult r = fit_model(problem, fo);
  INFO(format_fit(r, Statistic::cstat));
  print_scales("2T, true 1.3", r);
  const std::vector<double> scales = background_scales(r);
  REQUIRE(scales.size() == 4);
  for (double v : scales) {
    CHECK(v >= 0.9);
    CHECK(v <= 1.1);
  }
  CHECK(scales[2] == 1.1);  // internal (best constrained) pinned at the upper bound
}

TEST_CASE("fit compare: with fitted nuskybgd background, 1 Ms 2T and 1T+IC spectra still pick the right model") {
  ClusterSetup s;
  {
    const ModelComparison c = compare_with_background(two_t_truth(s), 1.05, 43, s, "2T");
    INFO(format_fit(c.two_temperature, Statistic::cstat));
    INFO(format_fit(c.thermal_plus_ic, Statistic::cstat));
    CHECK(c.two_temperature.names.size() == 9);
    CHECK(c.thermal_plus_ic.names.size() == 8);
    CHECK(c.preferred() == "2T");
    CHECK(c.delta_c > 0);
  }
  {
    auto truth = thermal_plus_ic_model(s, 1.0);
    truth.set("apec_2.kT", 4.0);
    truth.set("apec_2.norm", 1e-2);
    truth.set("powerlaw_3.norm", 1e-2);
    const ModelComparison c = compare_with_background(truth, 0.95, 44, s, "1T+IC");
    INFO(format_fit(c.two_temperature, Statistic::cstat));
    INFO(format_fit(c.thermal_plus_ic, Statistic::cstat));
    CHECK(c.preferred() == "1T+IC");
    CHECK(c.delta_c < 0);
    CHECK(std::fabs(c.thermal_plus_ic.reduced - 1) < 0.3);
  }
}

TEST_CASE("fit compare: redshift free (scan, then fit) recovers the cluster redshift in both models") {
  ClusterSetup truth_setup;
  truth_setup.redshift = 0.08;
  ClusterSetup s;  // z starts at 0.05: the scan (0.01-0.09) brings it to the truth's basin
  s.fit_redshift = true;
  const ModelComparison c = compare_with_background(two_t_truth(truth_setup), 1.0, 45, s, "2T, z free");
  INFO(format_fit(c.two_temperature, Statistic::cstat));
  const FitResult& r = c.two_temperature;
  REQUIRE(r.names.size() == 10);
  CHECK(r.names[2] == "apec_2.Redshift");
  CHECK(c.thermal_plus_ic.names[2] == "apec_2.Redshift");
  std::printf("fit compare (z free): z = %.4f +- %.4f (true 0.08), converged %d %d\n", r.values[2], r.errors[2],
              r.converged, c.thermal_plus_ic.converged);
  // The scan step is 0.005; the free fit refines it.
  CHECK(std::fabs(r.values[2] - 0.08) < 0.005);
  CHECK(std::fabs(c.thermal_plus_ic.values[2] - 0.08) < 0.03);  // the wrong model: closer than the start
  CHECK(c.preferred() == "2T");
}

TEST_CASE("fit background: bad background components give clear errors") {
  const auto counts = test::fake_spectrum(test::nustar_setup(1e4), test::absorbed_powerlaw(1, 2, 1e-2), 1, 0);
  const auto m = test::absorbed_powerlaw(1, 2, 1e-2);
  const std::size_t H = counts.size();
  auto make = [&](const SpectrumOptions& o) { FitProblem p(m, test::nustar_matrix(), counts, 1e4, o); };
  SpectrumOptions o;
  o.background_components = {std::vector<double>(H - 1, 1e-4)};
  CHECK_THROWS_AS(make(o), Error);
  o.background_components = {std::vector<double>(H, 1e-4)};
  o.background_components[0][5] = std::nan("");
  CHECK_THROWS_AS(make(o), Error);
  o.background_components[0][5] = -1;
  CHECK_THROWS_AS(make(o), Error);
  o.background_components[0][5] = 1e-4;
  o.background_component_names = {"a", "b"};
  CHECK_THROWS_AS(make(o), Error);
  o.background_component_names = {"a"};
  o.background_scale_min = 1.05;  // bounds must contain the start value 1
  CHECK_THROWS_AS(make(o), Error);
  o.background_scale_min = 0.9;
  o.background_scale_max = std::nan("");
  CHECK_THROWS_AS(make(o), Error);
  o.background_scale_max = 1.1;
  FitProblem p(m, test::nustar_matrix(), counts, 1e4, o);
  CHECK(p.free_index("bkgscale_a") == 3);
  CHECK_THROWS_AS(p.free_index("bkgscale_b"), Error);
  CHECK_THROWS_AS(p.set_free_values({1, 2, 1e-2}), Error);  // missing the scale
  std::vector<double> y(p.num_bins());
  CHECK_THROWS_AS(p.model_rate({1, 2, 1e-2, 1.2}, y.data()), Error);  // scale outside its bounds
  SpectrumOptions bad_tol;
  CHECK_THROWS_AS(add_nustar_background(bad_tol, cluster_background(), 1.5), Error);
}
