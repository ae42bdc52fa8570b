// Tests for the fit statistics: hand-computed cstat / wstat / pgstat / chi2 values (zero-count bins, zero
// background), profiled backgrounds against brute-force minimisation, derivatives, dof and bad inputs.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "specnet/error.h"
#include "specnet/fit/statistic.h"

using namespace specnet;
using namespace specnet::fit;

namespace {
// Minimum of a convex function of one variable on [a, b] by golden-section search.
double golden_min(const std::function<double(double)>& fn, double a, double b) {
  const double r = 0.5 * (std::sqrt(5.0) - 1);
  for (int i = 0; i < 300; ++i) {
    const double c = b - r * (b - a), d = a + r * (b - a);
    if (fn(c) < fn(d)) b = d; else a = c;
  }
  return fn(0.5 * (a + b));
}
}  // namespace

TEST_CASE("fit statistic: cstat hand values, zero counts and the model floor") {
  CHECK(cstat_bin(0, 2.5) == doctest::Approx(5.0));                        // 2 m for S = 0
  CHECK(cstat_bin(4, 2) == doctest::Approx(2 * (2 - 4 + 4 * std::log(2.0))));  // 1.5451774
  CHECK(cstat_bin(4, 2) == doctest::Approx(1.5451774444795623));
  CHECK(cstat_bin(7, 7) == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(cstat_bin(0, 0) == doctest::Approx(0.0).epsilon(1e-9));
  // m = 0 with counts: floored, large but finite.
  const double floored = cstat_bin(3, 0);
  CHECK(std::isfinite(floored));
  CHECK(floored == doctest::Approx(2 * (kModelFloorCounts - 3 + 3 * std::log(3.0) - 3 * std::log(kModelFloorCounts))));
  CHECK_THROWS_AS(cstat_bin(-1, 2), Error);
  CHECK_THROWS_AS(cstat_bin(1, std::nan("")), Error);
}

TEST_CASE("fit statistic: wstat special cases S = 0 and B = 0 (XSPEC appendix) and the general closed form") {
  double f = -1;
  // S = 0: 2 [t_s y - B ln(t_b / (t_s + t_b))], f = B / (t_s + t_b).
  CHECK(wstat_bin(0, 3, 0.1, 10, 20, &f) == doctest::Approx(4.432790648648987));
  CHECK(f == doctest::Approx(0.1));
  // B = 0, y < S / (t_s + t_b): 2 [-t_b y - S ln(t_s / (t_s + t_b))].
  CHECK(wstat_bin(4, 0, 0.05, 10, 30, &f) == doctest::Approx(8.090354888959125));
  CHECK(f == doctest::Approx(0.05));
  // B = 0, y >= S / (t_s + t_b): the cstat of the source alone.
  CHECK(wstat_bin(4, 0, 0.2, 10, 30, &f) == doctest::Approx(cstat_bin(4, 2)));
  CHECK(f == 0);
  // Both zero: 2 t_s y.
  CHECK(wstat_bin(0, 0, 0.3, 10, 5) == doctest::Approx(6.0));
  // General: S = 5, B = 2, t_s = t_b = 1, y = 1 -> f = (5 + sqrt 41) / 4.
  CHECK(wstat_bin(5, 2, 1, 1, 1, &f) == doctest::Approx(0.596960030572474));
  CHECK(f == doctest::Approx((5 + std::sqrt(41.0)) / 4));
  // The closed form is the minimum over the background rate of the joint Poisson deviance.
  for (double S : {0.0, 1.0, 12.0, 300.0})
    for (double B : {0.0, 2.0, 40.0})
      for (double y : {1e-4, 0.03, 1.5}) {
        const double ts = 1e3, tb = 4e3, T = ts + tb;
        auto joint = [&](double fb) {
          return cstat_bin(S, ts * (y + fb)) + cstat_bin(B, tb * fb);
        };
        const double brute = golden_min(joint, 0, (S + B) / T + 1.0);
        CHECK(wstat_bin(S, B, y, ts, tb) == doctest::Approx(brute).epsilon(1e-6));
      }
  CHECK_THROWS_AS(wstat_bin(1, -1, 0.1, 1, 1), Error);
  CHECK_THROWS_AS(wstat_bin(1, 1, 0.1, 0, 1), Error);
  CHECK_THROWS_AS(wstat_bin(1, 1, -0.1, 1, 1), Error);
}

TEST_CASE("fit statistic: pgstat = minimum over a Gaussian background; sigma 0 is a known background") {
  for (double S : {0.0, 3.0, 80.0})
    for (double B : {0.0, 5.0, 60.0})
      for (double y : {1e-3, 0.05, 2.0}) {
        const double ts = 100, tb = 300, sigma = std::sqrt(std::max(B, 1.0));
        auto joint = [&](double fb) {
          const double mu = y + fb;
          if (mu < 0) return std::numeric_limits<double>::infinity();
          return cstat_bin(S, ts * mu) + (B - tb * fb) * (B - tb * fb) / (sigma * sigma);
        };
        const double brute = golden_min(joint, -y, (S + B) / tb + 5.0);
        CHECK(pgstat_bin(S, B, sigma, y, ts, tb) == doctest::Approx(brute).epsilon(1e-6));
      }
  // Zero error: background rate fixed at B / t_b.
  CHECK(pgstat_bin(6, 30, 0, 0.1, 100, 300) == doctest::Approx(cstat_bin(6, 100 * (0.1 + 0.1))));
  CHECK_THROWS_AS(pgstat_bin(1, 1, -1, 0.1, 1, 1), Error);
}

TEST_CASE("fit statistic: chi2 with STAT_ERR and a subtracted background") {
  CHECK(chi2_bin(10, 7, 2) == doctest::Approx(2.25));
  CHECK_THROWS_AS(chi2_bin(10, 7, 0), Error);
  FitData d;
  d.statistic = Statistic::chi2;
  d.counts = {10, 20};
  d.stat_err = {2, 4};
  d.background_counts = {4, 8};
  d.background_err = {2, 2};
  d.exposure_s = 10;
  d.background_exposure_s = 20;
  const double y[2] = {0.5, 1.2};
  // net = S - B/2, var = s^2 + (1/2)^2 sb^2.
  const double expect = (10 - 2 - 5.0) * (10 - 2 - 5.0) / (4 + 1) + (20 - 4 - 12.0) * (20 - 4 - 12.0) / (16 + 1);
  CHECK(evaluate_statistic(d, y) == doctest::Approx(expect));
}

TEST_CASE("fit statistic: summed value, derivatives and curvature per bin for every statistic") {
  for (Statistic st : {Statistic::cstat, Statistic::wstat, Statistic::pgstat, Statistic::chi2}) {
    CAPTURE(statistic_name(st));
    FitData d;
    d.statistic = st;
    d.counts = {0, 3, 17, 250, 1};
    d.background_counts = {2, 0, 5, 40, 0};
    d.exposure_s = 1e3;
    d.background_exposure_s = 3e3;
    const std::vector<double> y = {1e-3, 4e-3, 0.02, 0.21, 2e-3};
    std::vector<double> per(5), d1(5), w(5);
    const double total = evaluate_statistic(d, y.data(), per.data(), d1.data(), w.data());
    CHECK(total == doctest::Approx(per[0] + per[1] + per[2] + per[3] + per[4]));
    for (int i = 0; i < 5; ++i) {
      CAPTURE(i);
      const double h = 1e-6 * y[i];
      std::vector<double> yp = y, ym = y;
      yp[i] += h;
      ym[i] -= h;
      std::vector<double> pp(5), pm(5), d1p(5), d1m(5);
      evaluate_statistic(d, yp.data(), pp.data(), d1p.data());
      evaluate_statistic(d, ym.data(), pm.data(), d1m.data());
      CHECK(d1[i] == doctest::Approx((pp[i] - pm[i]) / (2 * h)).epsilon(1e-5));
      CHECK(w[i] >= 0);
      CHECK(w[i] == doctest::Approx((d1p[i] - d1m[i]) / (2 * h)).epsilon(1e-4).scale(1e-3 * std::fabs(d1[i]) / y[i]));
    }
  }
}

TEST_CASE("fit statistic: dof, reduced statistic, names and bad data") {
  FitData d;
  d.counts = {1, 2, 3};
  d.exposure_s = 1;
  CHECK(degrees_of_freedom(d, 2) == 1);
  CHECK(reduced_statistic(6, 3) == doctest::Approx(2));
  CHECK(std::isnan(reduced_statistic(6, 0)));
  CHECK(parse_statistic("wstat") == Statistic::wstat);
  CHECK(std::string(statistic_name(parse_statistic("chi"))) == "chi2");
  CHECK_THROWS_WITH_AS(parse_statistic("lstat"), doctest::Contains("cstat, wstat, pgstat or chi2"), Error);
  check_fit_data(d);
  FitData empty;
  empty.exposure_s = 1;
  CHECK_THROWS_WITH_AS(check_fit_data(empty), doctest::Contains("no bins"), Error);
  FitData w = d;
  w.statistic = Statistic::wstat;
  CHECK_THROWS_WITH_AS(check_fit_data(w), doctest::Contains("needs background"), Error);
  w.background_counts = {1, 2};
  w.background_exposure_s = 1;
  CHECK_THROWS_AS(check_fit_data(w), Error);
  FitData bad = d;
  bad.counts[1] = std::nan("");
  CHECK_THROWS_AS(check_fit_data(bad), Error);
  bad = d;
  bad.exposure_s = 0;
  CHECK_THROWS_AS(check_fit_data(bad), Error);
  const double y_bad[3] = {1, std::nan(""), 1};
  CHECK_THROWS_WITH_AS(evaluate_statistic(d, y_bad), doctest::Contains("bin 1"), Error);
}
