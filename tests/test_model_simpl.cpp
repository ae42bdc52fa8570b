// simpl against the notes' O(E^2) redistribution formula, photon-number conservation on a wide grid,
// the Gamma = 1 rule, and simplcut's conservation and kT_e -> large limit.
#include <cmath>
#include <vector>

#include "harness.h"
#include "model_test_util.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/model.h"

using namespace specnet::sim;
using specnet::test::eval_model;
using specnet::test::total;

namespace {
// (E) photon flux of a 0.8 keV disk
std::vector<double> seed_flux(const std::vector<double>& edges) { return eval_model("diskbb", edges, {0.8, 1000.0}); }
}  // namespace

TEST_CASE("model simpl: matches the direct redistribution formula of the notes") {
  const auto edges = log_grid(0.1, 50.0, 120);
  const auto in = seed_flux(edges);
  const double gamma = 2.4, frac = 0.3;
  const auto out = eval_model("simpl", edges, {gamma, frac}, in);
  const auto E = in.size();
  std::vector<double> s(E, 0.0);  // (E) scattered photons, O(E^2) as written in the notes
  for (std::size_t i = 0; i < E; ++i) {
    const double mid = 0.5 * (edges[i] + edges[i + 1]);
    s[i] += in[i] * (1 - std::pow(mid, gamma - 1) * std::pow(edges[i + 1], -(gamma - 1)));
    for (std::size_t j = i + 1; j < E; ++j)
      s[j] +=
          in[i] * std::pow(mid, gamma - 1) * (std::pow(edges[j], -(gamma - 1)) - std::pow(edges[j + 1], -(gamma - 1)));
  }
  for (std::size_t j = 0; j < E; ++j) CHECK(out[j] == doctest::Approx((1 - frac) * in[j] + frac * s[j]).epsilon(1e-10));
}

TEST_CASE("model simpl: conserves photons on a wide grid; Gamma = 1 means 1.001") {
  const auto edges = log_grid(0.01, 1000.0, 3000);
  const auto in = seed_flux(edges);
  for (double gamma : {1.5, 2.3, 3.5}) {
    CAPTURE(gamma);
    const auto out = eval_model("simpl", edges, {gamma, 0.25}, in);
    // Exactly, the photons scattered beyond 1000 keV are lost: f sum_i F_i (Ebar_i / E_max)^(G-1).
    double lost = 0;
    for (std::size_t i = 0; i < in.size(); ++i)
      lost += 0.25 * in[i] * std::pow(0.5 * (edges[i] + edges[i + 1]) / edges.back(), gamma - 1);
    CHECK(total(out) == doctest::Approx(total(in) - lost).epsilon(1e-10));
    CHECK(total(out) == doctest::Approx(total(in)).epsilon(gamma < 2 ? 1e-2 : 1e-4));  // hard tails leak more
  }
  const auto g1 = eval_model("simpl", edges, {1.0, 0.2}, in);
  const auto g1001 = eval_model("simpl", edges, {1.001, 0.2}, in);
  for (std::size_t i = 0; i < in.size(); ++i) CHECK(g1[i] == g1001[i]);
  const auto none = eval_model("simpl", edges, {2.3, 0.0}, in);
  for (std::size_t i = 0; i < in.size(); ++i) CHECK(none[i] == in[i]);
}

TEST_CASE("model simplcut: conserves photons and approaches simpl in the soft band for large kT_e") {
  const auto edges = log_grid(0.01, 1000.0, 3000);
  const auto in = seed_flux(edges);
  const auto cut = eval_model("simplcut", edges, {2.3, 0.25, 20.0}, in);
  CHECK(total(cut) == doctest::Approx(total(in)).epsilon(1e-9));  // the cut-off keeps photons on the grid
  const auto simpl = eval_model("simpl", edges, {2.3, 0.25}, in);
  const auto hot = eval_model("simplcut", edges, {2.3, 0.25, 1000.0}, in);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const double e = edges[i];
    if (e > 0.3 && e < 12.0) CHECK(hot[i] == doctest::Approx(simpl[i]).scale(0).epsilon(0.01));
  }
  // Above kT_e the scattered tail turns over exponentially: far less flux at 100 keV than simpl.
  const std::size_t k = static_cast<std::size_t>(std::lower_bound(edges.begin(), edges.end(), 100.0) - edges.begin());
  CHECK(cut[k] < 0.1 * simpl[k]);
}
