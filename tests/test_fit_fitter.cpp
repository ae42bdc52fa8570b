// Tests for FitProblem + the Levenberg-Marquardt fitter: recovery of a simulated NuSTAR power law with cstat,
// wstat and grouped chi2, hard limits, profile intervals vs covariance errors, determinism and bad inputs.
#include <doctest/doctest.h>

#include <cmath>

#include "fit_test_util.h"
#include "specnet/error.h"
#include "specnet/fit/fitter.h"
#include "specnet/sim/nustar_background.h"

using namespace specnet;
using namespace specnet::fit;

namespace {
using test::absorbed_powerlaw;
SpectrumOptions band(Statistic st = Statistic::cstat, double min_counts = 0) {
  SpectrumOptions o;
  o.statistic = st;
  o.e_min_kev = 3;
  o.e_max_kev = 30;
  o.min_counts = min_counts;
  return o;
}
}  // namespace

TEST_CASE("fit fitter: cstat recovers a simulated absorbed power law from a distant start") {
  const auto setup = test::nustar_setup(2e4);
  const auto truth = absorbed_powerlaw(2.0, 1.8, 5e-3);
  const auto counts = test::fake_spectrum(setup, truth, 7, 0);
  const auto start = absorbed_powerlaw(2.0, 1.0, 1e-3, true);
  FitProblem problem(start, test::nustar_matrix(), counts, 2e4, band());
  FitOptions opt;
  opt.interval_params = {"powerlaw_2.PhoIndex"};
  const FitResult r = fit_model(problem, opt);
  INFO(format_fit(r, Statistic::cstat));
  CHECK(r.converged);
  REQUIRE(r.values.size() == 2);
  CHECK(r.names[0] == "powerlaw_2.PhoIndex");
  CHECK(std::fabs(r.values[0] - 1.8) < 4 * r.errors[0]);
  CHECK(std::fabs(r.values[1] - 5e-3) < 4 * r.errors[1]);
  CHECK(r.errors[0] > 0);
  CHECK(r.errors[0] < 0.1);
  CHECK(r.dof == problem.num_bins() - 2);
  CHECK(r.reduced == doctest::Approx(r.statistic / r.dof));
  CHECK(r.reduced > 0.5);
  CHECK(r.reduced < 1.6);
  // The model is left at the best fit, and the statistic there is the reported one.
  CHECK(problem.model().get("powerlaw_2.PhoIndex") == r.values[0]);
  CHECK(problem.statistic(r.values) == doctest::Approx(r.statistic));
  // 90% profile interval brackets the best fit and matches 1.645 sigma of the covariance roughly.
  REQUIRE(r.intervals.size() == 1);
  const Interval& iv = r.intervals[0];
  CHECK(iv.ok);
  CHECK(iv.lo < r.values[0]);
  CHECK(iv.hi > r.values[0]);
  CHECK((iv.hi - iv.lo) / 2 == doctest::Approx(1.645 * r.errors[0]).scale(0).epsilon(0.15));
  // Profile at the bounds is best + 2.706 within the tolerance.
  auto at = r.values;
  at[0] = iv.hi;
  FitProblem p2(problem.model(), test::nustar_matrix(), counts, 2e4, band());
  p2.model().freeze("powerlaw_2.PhoIndex");
  p2.model().set("powerlaw_2.PhoIndex", iv.hi);
  FitOptions plain;
  plain.errors = false;
  const FitResult prof = fit_model(p2, plain);
  CHECK(prof.statistic - r.statistic == doctest::Approx(2.706).epsilon(0.02));
}

TEST_CASE("fit fitter: hard limits hold; a parameter driven to its limit reports an interval at the limit") {
  // Data with Gamma = 2 and no absorption fitted with Gamma frozen at 1.6 (too hard): the fit wants nH < 0.
  const auto setup = test::nustar_setup(1e5);
  const auto counts = test::fake_spectrum(setup, absorbed_powerlaw(0.0, 2.0, 5e-3), 3, 0);
  auto start = absorbed_powerlaw(5.0, 1.6, 5e-3);
  start.freeze("powerlaw_2.PhoIndex");
  FitProblem problem(start, test::nustar_matrix(), counts, 1e5, band());
  FitOptions opt;
  opt.interval_params = {"tbabs_1.nH"};
  const FitResult r = fit_model(problem, opt);
  INFO(format_fit(r, Statistic::cstat));
  CHECK(r.converged);
  CHECK(r.values[0] == 0.0);  // pinned at the hard minimum, never below
  REQUIRE(r.intervals.size() == 1);
  CHECK(r.intervals[0].lo == 0.0);
  CHECK(r.intervals[0].lo_at_limit);
  CHECK_FALSE(r.intervals[0].hi_at_limit);
  CHECK(r.intervals[0].hi > 0);
  CHECK(problem.model().get("tbabs_1.nH") == 0.0);
}

TEST_CASE("fit fitter: wstat with a NuSTAR background spectrum and grouped chi2 recover the photon index") {
  const auto& resp = test::builtin_nustar();
  sim::NustarRegion region;
  region.area_arcmin2 = 10;
  const auto bg = sim::nustar_background(resp, region);
  const double t = 5e4, scale = 5;  // background region 5x the source area
  std::vector<double> bg_scaled(bg.total.size());
  for (std::size_t h = 0; h < bg.total.size(); ++h) bg_scaled[h] = bg.total[h] / scale;
  const auto setup = sim::make_fakeit_setup(resp, t, bg.total, 1.0, scale);
  const auto truth = absorbed_powerlaw(1.0, 2.2, 3e-3);
  const auto photons = truth.evaluate(resp.energy_edges_kev());
  const auto counts = sim::fake_counts(setup, photons.data(), 11, 0);
  const auto bcounts = sim::fake_background_counts(setup, 11);
  SpectrumOptions o = band(Statistic::wstat);
  o.background_counts = bcounts;
  o.background_exposure_s = t * scale;
  const auto start = absorbed_powerlaw(1.0, 1.5, 1e-3, true);
  FitProblem pw(start, test::nustar_matrix(), counts, t, o);
  const FitResult rw = fit_model(pw);
  INFO(format_fit(rw, Statistic::wstat));
  CHECK(rw.converged);
  CHECK(std::fabs(rw.values[0] - 2.2) < 4 * rw.errors[0]);
  CHECK(rw.reduced > 0.6);
  CHECK(rw.reduced < 1.5);
  // pgstat on the same spectra (background errors sqrt(B)) agrees with wstat within the errors.
  o.statistic = Statistic::pgstat;
  FitProblem pg(start, test::nustar_matrix(), counts, t, o);
  const FitResult rg = fit_model(pg);
  CHECK(rg.converged);
  CHECK(std::fabs(rg.values[0] - rw.values[0]) < rw.errors[0]);
  // Same data with a fixed background model rate (cstat) and grouped chi2 with background subtraction.
  SpectrumOptions oc = band(Statistic::cstat);
  oc.background_rate = bg_scaled;
  FitProblem pc(start, test::nustar_matrix(), counts, t, oc);
  const FitResult rc = fit_model(pc);
  CHECK(rc.converged);
  CHECK(rc.values[0] == doctest::Approx(rw.values[0]).scale(0).epsilon(0.05));
  SpectrumOptions ox = band(Statistic::chi2, 50);
  ox.background_counts = bcounts;
  ox.background_exposure_s = t * scale;
  FitProblem px(start, test::nustar_matrix(), counts, t, ox);
  CHECK(px.num_bins() < pc.num_bins());
  for (double c : px.data().counts) CHECK(c >= 50);
  const FitResult rx = fit_model(px);
  INFO(format_fit(rx, Statistic::chi2));
  CHECK(rx.converged);
  CHECK(std::fabs(rx.values[0] - 2.2) < 4 * rx.errors[0]);
}

TEST_CASE("fit fitter: multi-start is seeded and deterministic and never worse than the single start") {
  const auto setup = test::nustar_setup(1e4);
  const auto counts = test::fake_spectrum(setup, absorbed_powerlaw(3.0, 1.7, 4e-3), 5, 0);
  FitOptions opt;
  opt.restarts = 4;
  opt.seed = 9;
  opt.errors = false;
  FitProblem a(absorbed_powerlaw(0.5, 3.0, 1e-2), test::nustar_matrix(), counts, 1e4, band());
  FitProblem b(absorbed_powerlaw(0.5, 3.0, 1e-2), test::nustar_matrix(), counts, 1e4, band());
  FitProblem c(absorbed_powerlaw(0.5, 3.0, 1e-2), test::nustar_matrix(), counts, 1e4, band());
  const FitResult ra = fit_model(a, opt), rb = fit_model(b, opt);
  FitOptions single = opt;
  single.restarts = 0;
  const FitResult rc = fit_model(c, single);
  CHECK(ra.values == rb.values);
  CHECK(ra.statistic == rb.statistic);
  CHECK(ra.statistic <= rc.statistic + 1e-9);
  CHECK(ra.converged);
}

TEST_CASE("fit fitter: bad inputs are clear errors, never hangs") {
  const auto m = test::nustar_matrix();
  const std::size_t H = m->num_outputs();
  std::vector<double> counts(H, 1.0);
  sim::CompositeModel frozen("powerlaw");
  frozen.freeze("powerlaw_1.PhoIndex");
  frozen.freeze("powerlaw_1.norm");
  CHECK_THROWS_WITH_AS(FitProblem(frozen, m, counts, 1e3), doctest::Contains("nothing to fit"), Error);
  const sim::CompositeModel pl("powerlaw");
  CHECK_THROWS_WITH_AS(FitProblem(pl, m, std::vector<double>(H, 0.0), 1e3), doctest::Contains("zero counts"), Error);
  CHECK_THROWS_WITH_AS(FitProblem(pl, m, std::vector<double>(), 1e3), doctest::Contains("empty"), Error);
  CHECK_THROWS_WITH_AS(FitProblem(pl, m, std::vector<double>(10, 1.0), 1e3), doctest::Contains("channels"), Error);
  CHECK_THROWS_AS(FitProblem(pl, m, counts, 0.0), Error);
  SpectrumOptions out_of_range;
  out_of_range.e_min_kev = 500;
  out_of_range.e_max_kev = 600;
  CHECK_THROWS_WITH_AS(FitProblem(pl, m, counts, 1e3, out_of_range), doctest::Contains("no channels"), Error);
  SpectrumOptions w;
  w.statistic = Statistic::wstat;
  CHECK_THROWS_WITH_AS(FitProblem(pl, m, counts, 1e3, w), doctest::Contains("background"), Error);
  std::vector<double> nan_counts = counts;
  nan_counts[5] = std::nan("");
  CHECK_THROWS_WITH_AS(FitProblem(pl, m, nan_counts, 1e3), doctest::Contains("channel 5"), Error);
  FitProblem ok(pl, m, counts, 1e3, band());
  FitOptions bad;
  bad.interval_params = {"powerlaw_1.nope"};
  CHECK_THROWS_AS(fit_model(ok, bad), Error);
  bad = FitOptions();
  bad.max_iterations = 0;
  CHECK_THROWS_AS(fit_model(ok, bad), Error);
  // An iteration cap of 1 from a far start: reported as not converged, with the reason.
  FitOptions one;
  one.max_iterations = 1;
  one.errors = false;
  sim::CompositeModel far("powerlaw");
  far.set("powerlaw_1.PhoIndex", 6.0);
  FitProblem pf(far, m, counts, 1e3, band());
  const FitResult r = fit_model(pf, one);
  CHECK_FALSE(r.converged);
  CHECK(r.message.find("iteration cap") != std::string::npos);
}
