// diskbb against a direct 2-d numerical integration of the multicolour-disk formula; ezdiskbb against a
// direct radial integration and its low-energy relation to diskbb.
#include <cmath>
#include <vector>

#include "harness.h"
#include "specnet/sim/model.h"

SPECNET_USE_MODEL(diskbb);
SPECNET_USE_MODEL(ezdiskbb);

using namespace specnet::sim;

namespace {
std::vector<double> eval(const char* name, const std::vector<double>& edges, const std::vector<double>& p) {
  std::vector<double> out(edges.size() - 1);  // (E)
  evaluate_model(find_model(name), edges.data(), static_cast<std::int64_t>(out.size()), p.data(), out.data());
  return out;
}

// Composite Simpson on [a, b] with n (even) intervals.
template <class F>
double simpson(F f, double a, double b, int n) {
  const double h = (b - a) / n;
  double s = 0;
  for (int i = 0; i <= n; ++i) s += (i == 0 || i == n ? 1 : (i % 2 ? 4 : 2)) * f(a + h * i);
  return s * h / 3;
}

constexpr double kC = 2.770e-3;  // physics notes: diskbb constant
}  // namespace

TEST_CASE("model diskbb: bins match a direct 2-d integration over energy and temperature") {
  const std::vector<double> edges = {0.3, 0.5, 1.0, 1.1, 2.0, 4.0, 6.0, 10.0, 20.0};
  for (double tin : {0.5, 1.0, 2.0}) {
    CAPTURE(tin);
    const auto out = eval("diskbb", edges, {tin, 100.0});
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
  const auto out = eval("ezdiskbb", edges, {tmax, 10.0});
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
  const auto ez = eval("ezdiskbb", low, {tmax, 1.0});
  const auto bb = eval("diskbb", low, {tmax / tau_max, 1.0});
  CHECK(ez[0] == doctest::Approx(bb[0]).epsilon(0.02));
  const auto ez_hi = eval("ezdiskbb", {10.0, 10.1}, {tmax, 1.0});
  const auto bb_hi = eval("diskbb", {10.0, 10.1}, {tmax / tau_max, 1.0});
  CHECK(ez_hi[0] < 0.5 * bb_hi[0]);  // zero torque removes the hottest inner ring
}
