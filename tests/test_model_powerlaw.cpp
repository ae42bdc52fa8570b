// powerlaw, cutoffpl, bknpower against closed forms and high-order quadrature, and the redshift helper
// (zpowerlw, zgauss, zbremss) against the rest-frame models.
#include <cmath>
#include <vector>

#include "harness.h"
#include "model_test_util.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/model.h"

using namespace specnet::sim;
using specnet::test::eval_model;
using specnet::test::simpson_log;

TEST_CASE("model powerlaw: bin integrals match the closed form, including Gamma = 1 and narrow bins") {
  const std::vector<double> edges = {0.1, 0.5, 1.0, 3.0, 10.0, 79.0, 1000.0};
  for (double gamma : {-1.5, 0.0, 0.999999, 1.0, 1.7, 3.2}) {
    CAPTURE(gamma);
    const auto out = eval_model("powerlaw", edges, {gamma, 2.5});
    for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
      const double a = edges[i], b = edges[i + 1];
      const double exact =
          gamma == 1.0 ? std::log(b / a) : (std::pow(b, 1 - gamma) - std::pow(a, 1 - gamma)) / (1 - gamma);
      CHECK(out[i] == doctest::Approx(2.5 * exact).epsilon(1e-9));
    }
  }
  // A bin of relative width 1e-9 keeps full precision: K E^-G dE.
  const auto narrow = eval_model("powerlaw", {2.0, 2.0 * (1 + 1e-9)}, {1.7, 1.0});
  CHECK(narrow[0] == doctest::Approx(std::pow(2.0, -1.7) * 2e-9).epsilon(1e-8));
}

TEST_CASE("model cutoffpl: bin integrals match high-order quadrature") {
  const std::vector<double> edges = {0.05, 0.3, 1.0, 2.0, 10.0, 30.0, 100.0, 500.0};
  for (double gamma : {-0.5, 1.0, 1.8}) {
    for (double ecut : {2.0, 15.0, 300.0}) {
      CAPTURE(gamma);
      CAPTURE(ecut);
      const auto out = eval_model("cutoffpl", edges, {gamma, ecut, 3.0});
      for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
        const double ref =
            simpson_log([&](double e) { return std::pow(e, -gamma) * std::exp(-e / ecut); }, edges[i], edges[i + 1]);
        CHECK(out[i] == doctest::Approx(3.0 * ref).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("model bknpower: continuous at the break and exact on both sides") {
  const double g1 = 1.2, eb = 7.3, g2 = 2.6;
  const std::vector<double> edges = {0.5, 2.0, 7.0, 8.0, 20.0, 124.0, 200.0};  // one bin straddles the break
  const auto out = eval_model("bknpower", edges, {g1, eb, g2, 1.5});
  auto pl = [](double g, double a, double b) { return (std::pow(b, 1 - g) - std::pow(a, 1 - g)) / (1 - g); };
  for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
    const double a = edges[i], b = edges[i + 1];
    double exact = 0;
    if (a < eb) exact += pl(g1, a, std::min(b, eb));
    if (b > eb) exact += std::pow(eb, g2 - g1) * pl(g2, std::max(a, eb), b);
    CHECK(out[i] == doctest::Approx(1.5 * exact).epsilon(1e-10));
  }
  // Photon density just below and above the break agrees (continuity), while the slopes differ.
  const double w = 1e-6;
  const auto near =
      eval_model("bknpower", {eb * (1 - 2 * w), eb * (1 - w), eb * (1 + w), eb * (1 + 2 * w)}, {g1, eb, g2, 1.0});
  CHECK(near[0] / (eb * w) == doctest::Approx(near[2] / (eb * w)).epsilon(1e-5));
  CHECK(near[0] / (eb * w) == doctest::Approx(std::pow(eb, -g1)).epsilon(1e-5));
}

TEST_CASE("model redshift helper: z-models equal rest-frame models on E(1+z), divided by (1+z)") {
  const auto edges = log_grid(0.2, 50.0, 200);
  const double z = 0.37, zf = 1 + z;
  // zpowerlw: K (E (1+z))^-G, i.e. the powerlaw times (1+z)^-G.
  const auto zp = eval_model("zpowerlw", edges, {1.9, z, 2.0});
  const auto p = eval_model("powerlaw", edges, {1.9, 2.0});
  for (std::size_t i = 0; i < p.size(); ++i) CHECK(zp[i] == doctest::Approx(p[i] * std::pow(zf, -1.9)).epsilon(1e-10));
  // zgauss: the line moves to LineE/(1+z) with total flux norm/(1+z).
  const auto zg = eval_model("zgauss", edges, {6.4, 0.05, z, 1.0});
  double total = 0, first_moment = 0;
  for (std::size_t i = 0; i < zg.size(); ++i) {
    total += zg[i];
    first_moment += zg[i] * 0.5 * (edges[i] + edges[i + 1]);
  }
  CHECK(total == doctest::Approx(1.0 / zf).epsilon(1e-9));
  CHECK(first_moment / total == doctest::Approx(6.4 / zf).epsilon(2e-3));
  // zbremss against the helper's definition applied by hand.
  std::vector<double> rest_edges(edges);
  for (double& e : rest_edges) e *= zf;
  const auto zb = eval_model("zbremss", edges, {3.0, z, 1.0});
  const auto rb = eval_model("bremss", rest_edges, {3.0, 1.0});
  for (std::size_t i = 0; i < zb.size(); ++i) CHECK(zb[i] == doctest::Approx(rb[i] / zf).epsilon(1e-12));
  // z = 0 reproduces the rest-frame model exactly.
  const auto z0 = eval_model("zbremss", edges, {3.0, 0.0, 1.0});
  const auto b0 = eval_model("bremss", edges, {3.0, 1.0});
  for (std::size_t i = 0; i < z0.size(); ++i) CHECK(z0[i] == b0[i]);
}
