// diskbb against a direct 2-d numerical integration of the multicolour-disk formula; ezdiskbb against a
// direct radial integration and its low-energy relation to diskbb.
#include <cmath>
#include <vector>

#include "harness.h"
#include "model_test_util.h"
#include "specnet/sim/model.h"

using namespace specnet::sim;
using specnet::test::eval_model;
using specnet::test::simpson;

namespace {
constexpr double kC = 2.770e-3;  // physics notes: diskbb constant
}  // namespace

TEST_CASE("model diskbb: bins match a direct 2-d integration over energy and temperature") {
  const std::vector<double> edges = {0.3, 0.5, 1.0, 1.1, 2.0, 4.0, 6.0, 10.0, 20.0};
  for (double tin : {0.5, 1.0, 2.0}) {
    CAPTURE(tin);
    const auto out = eval_model("diskbb", edges, {tin, 100.0});
    for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
      // N(E) = C/Tin int_0^Tin E^2 (T/Tin)^(-11/3) / (exp(E/T) - 1) dT, T-integral in ln T (the integrand
      // vanishes like exp(-E/T) at small T), E-integral by Simpson over the bin.
      auto density = [&](double e) {
        auto integrand = [&](double lt) {
          const double t = std::exp(lt);
          return e * e * std::pow(t / tin, -11.0 / 3.0) / std::expm1(e / t) * t;
        };
        return kC / tin * simpson(integrand, std::log(e / 700.0), std::log(tin), 4000);
      };
      const double ref = 100.0 * simpson(density, edges[i], edges[i + 1], 64);
      CHECK(out[i] == doctest::Approx(ref).epsilon(2e-6));
    }
  }
}

TEST_CASE("model ezdiskbb: radial integral and low-energy agreement with diskbb") {
  const double tmax = 1.2;
  const double tau_max = std::pow(36.0 / 49.0, 0.75) * std::pow(1.0 / 7.0, 0.25);
  const std::vector<double> edges = {0.5, 1.0, 2.0, 3.0, 5.0, 8.0};
  const auto out = eval_model("ezdiskbb", edges, {tmax, 10.0});
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    // N(E) = (3C/4) int_1^inf x E^2 / (exp(E/T(x)) - 1) dx, T = (Tmax/tau_max) x^-3/4 (1 - x^-1/2)^1/4, in ln x.
    auto density = [&](double e) {
      auto integrand = [&](double lx) {
        const double x = std::exp(lx);
        const double t = tmax / tau_max * std::pow(x, -0.75) * std::pow(1 - 1 / std::sqrt(x), 0.25);
        const double r = e / t;
        return r > 700 ? 0.0 : x * x * e * e / std::expm1(r);
      };
      return 0.75 * kC * simpson(integrand, 1e-12, std::log(1e8), 20000);
    };
    const double ref = 10.0 * simpson(density, edges[i], edges[i + 1], 16);
    CHECK(out[i] == doctest::Approx(ref).epsilon(1e-5));
  }
  // The peak colour temperature is T_max: the spectrum turns over like a disk with T_in ~ 2 T_max, and at
  // E << T both models see only the outer disk, T = (T_max/tau_max) x^-3/4: equal photon densities.
  const std::vector<double> low = {2e-4, 2.02e-4};
  const auto ez = eval_model("ezdiskbb", low, {tmax, 1.0});
  const auto bb = eval_model("diskbb", low, {tmax / tau_max, 1.0});
  CHECK(ez[0] == doctest::Approx(bb[0]).scale(0).epsilon(0.02));
  const auto ez_hi = eval_model("ezdiskbb", {10.0, 10.1}, {tmax, 1.0});
  const auto bb_hi = eval_model("diskbb", {10.0, 10.1}, {tmax / tau_max, 1.0});
  CHECK(ez_hi[0] < 0.5 * bb_hi[0]);  // zero torque removes the hottest inner ring
}

TEST_CASE("model diskbb: low-energy limit uses J(0) = Gamma(8/3) zeta(8/3)") {
  // For E << Tin, N(E) -> norm C Tin^(8/3) E^(-2/3) Gamma(8/3) zeta(8/3), zeta by direct summation.
  double zeta = 0;
  for (int k = 1; k < 2000000; ++k) zeta += std::pow(k, -8.0 / 3.0);
  const double j0 = std::tgamma(8.0 / 3.0) * zeta, a = 1e-7, b = 2e-7, tin = 1.5;
  const auto out = eval_model("diskbb", {a, b}, {tin, 1.0});
  const double bin_integral = 3.0 * (std::cbrt(b) - std::cbrt(a));  // of E^(-2/3)
  CHECK(out[0] == doctest::Approx(kC * std::pow(tin, 8.0 / 3.0) * j0 * bin_integral).epsilon(1e-6));
}
