// Tests for the IC-paper model comparison: a simulated 2T cluster prefers tbabs*(apec+apec), a thermal plasma
// with a strong IC power law prefers tbabs*(apec+powerlaw); delta C has the matching sign.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>

#include "fit_test_util.h"
#include "specnet/fit/model_compare.h"

using namespace specnet;
using namespace specnet::fit;

namespace {
SpectrumOptions grouped() {
  SpectrumOptions o;
  o.e_min_kev = 3;
  o.e_max_kev = 50;
  o.min_counts = 100;  // as the IC paper
  return o;
}

// A 1 Ms NuSTAR spectrum of `truth` (stream 0 of `seed`) and both fits to it, printed for failures.
ModelComparison compare_on(const sim::CompositeModel& truth, std::uint64_t seed, const ClusterSetup& s) {
  const auto counts = test::fake_spectrum(test::nustar_setup(1e6), truth, seed, 0);
  const ModelComparison c = compare_2t_vs_ic(test::nustar_matrix(), counts, 1e6, grouped(), s);
  std::printf("fit compare: C/dof 2T %.3f, 1T+IC %.3f, delta C %.1f -> %s\n", c.two_temperature.reduced,
              c.thermal_plus_ic.reduced, c.delta_c, c.preferred().c_str());
  return c;
}
}  // namespace

TEST_CASE("fit compare: a two-temperature cluster spectrum prefers 2T, with a positive delta C") {
  ClusterSetup s;
  auto truth = two_temperature_model(s, 1.0);
  truth.set("apec_2.kT", 9.0);
  truth.set("apec_2.norm", 4e-3);
  truth.set("apec_3.kT", 1.5);
  truth.set("apec_3.norm", 6e-3);
  const ModelComparison c = compare_on(truth, 31, s);
  INFO(format_fit(c.two_temperature, Statistic::cstat));
  INFO(format_fit(c.thermal_plus_ic, Statistic::cstat));
  CHECK(c.two_temperature.converged);
  CHECK(c.thermal_plus_ic.converged);
  CHECK(c.two_temperature.names.size() == 5);  // kT, Abundanc, norm, kT, norm
  CHECK(c.thermal_plus_ic.names.size() == 4);  // kT, Abundanc, norm, powerlaw norm
  CHECK(c.delta_c == doctest::Approx(c.thermal_plus_ic.statistic - c.two_temperature.statistic));
  CHECK(c.preferred() == "2T");
  CHECK(c.delta_c > 0);
  CHECK(std::fabs(c.two_temperature.reduced - 1) < 0.3);
}

TEST_CASE("fit compare: a thermal plasma plus a strong Gamma = 2 power law prefers 1T+IC") {
  ClusterSetup s;
  auto truth = thermal_plus_ic_model(s, 1.0);
  truth.set("apec_2.kT", 4.0);
  truth.set("apec_2.norm", 1e-2);
  truth.set("powerlaw_3.norm", 3e-3);
  const ModelComparison c = compare_on(truth, 32, s);
  INFO(format_fit(c.two_temperature, Statistic::cstat));
  INFO(format_fit(c.thermal_plus_ic, Statistic::cstat));
  CHECK(c.thermal_plus_ic.converged);
  CHECK(c.preferred() == "1T+IC");
  CHECK(c.delta_c < 0);
  CHECK(std::fabs(c.thermal_plus_ic.reduced - 1) < 0.3);
}
