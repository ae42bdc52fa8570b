// gaussian and lorentz lines: total flux equals the line norm (renormalised over E > 0), shape checks,
// zero width, and precision in the far wings.
#include <cmath>
#include <vector>

#include "harness.h"
#include "model_test_util.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/model.h"

using namespace specnet::sim;
using specnet::test::eval_model;
using specnet::test::total;

TEST_CASE("model lines: gaussian and lorentz integrate to norm over E > 0") {
  // Grid from 1e-12 keV to 1e7 keV: everything at E > 0 except a vanishing sliver.
  const auto edges = log_grid(1e-12, 1e7, 20000);
  for (const char* name : {"gaussian", "lorentz"}) {
    for (double e0 : {6.4, 0.3}) {
      for (double width : {0.01, 0.3, 1.0}) {
        CAPTURE(name);
        CAPTURE(e0);
        CAPTURE(width);
        const auto out = eval_model(name, edges, {e0, width, 2.5});
        // lorentz wings fall as 1/E^2: above 1e7 keV lies W/(2 pi 1e7) of the unrenormalised profile
        const double positive = M_PI / 2 - std::atan(-2 * e0 / width);
        const double tail = std::string(name) == "lorentz" ? width / (2 * 1e7) / positive : 0.0;
        CHECK(total(out) == doctest::Approx(2.5 * (1 - tail)).epsilon(1e-8));
      }
    }
  }
}

TEST_CASE("model lines: profiles match the analytic shapes") {
  const std::vector<double> edges = {6.0, 6.3, 6.35, 6.4, 6.45, 6.5, 7.0, 20.0, 40.0};
  const double e0 = 6.4, sigma = 0.07, fwhm = 0.12;
  const auto g = eval_model("gaussian", edges, {e0, sigma, 1.0});
  const auto l = eval_model("lorentz", edges, {e0, fwhm, 1.0});
  const double lnorm = M_PI / 2 - std::atan(-2 * e0 / fwhm);
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    const double a = edges[i], b = edges[i + 1];
    const double za = (a - e0) / (sigma * M_SQRT2), zb = (b - e0) / (sigma * M_SQRT2);
    const double gref = za >= 0 ? 0.5 * (std::erfc(za) - std::erfc(zb)) : 0.5 * (std::erf(zb) - std::erf(za));
    CHECK(g[i] == doctest::Approx(gref).epsilon(1e-9).scale(1e-300));
    const double lref = (std::atan(2 * (b - e0) / fwhm) - std::atan(2 * (a - e0) / fwhm)) / lnorm;
    CHECK(l[i] == doctest::Approx(lref).epsilon(1e-9));
  }
  // Far wings keep relative precision (no cancellation of atan / erf differences).
  const auto far = eval_model("lorentz", {1000.0, 1000.001}, {e0, fwhm, 1.0});
  const double density = (fwhm / (2 * M_PI)) / (std::pow(1000.0005 - e0, 2) + fwhm * fwhm / 4) * M_PI / lnorm;
  CHECK(far[0] == doctest::Approx(density * 0.001).epsilon(1e-6));
  const auto gfar = eval_model("gaussian", {7.0, 7.001}, {e0, sigma, 1.0});
  const double gd = std::exp(-0.5 * std::pow((7.0005 - e0) / sigma, 2)) / (sigma * std::sqrt(2 * M_PI));
  CHECK(gfar[0] == doctest::Approx(gd * 0.001).epsilon(1e-5));
  CHECK(gfar[0] > 0);
}

TEST_CASE("model lines: zero width puts the whole line in the bin holding LineE") {
  const std::vector<double> edges = {1.0, 2.0, 3.0, 4.0};
  for (const char* name : {"gaussian", "lorentz"}) {
    const auto out = eval_model(name, edges, {2.5, 0.0, 4.0});
    CHECK(out[0] == 0.0);
    CHECK(out[1] == 4.0);
    CHECK(out[2] == 0.0);
  }
}
