// Registry sweep over every spectral model (sherpa-style): defaults evaluate to finite, non-negative bins of
// the right length, and a count assertion lists the expected names so that no model slips past (also one
// missing from src/sim/builtin_models.cpp: this binary links specnet as a static archive).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "harness.h"
#include "specnet/error.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/model.h"

using namespace specnet;
using namespace specnet::sim;

namespace {
std::vector<double> defaults(const ModelInfo& m) {
  std::vector<double> p;
  for (const auto& s : m.params) p.push_back(s.default_value);
  return p;
}
}  // namespace

TEST_CASE("model registry: every registered model is expected and evaluates at its defaults") {
  // Models registered elsewhere (e.g. apec from its own file) extend this list when they are added.
  const std::vector<std::string> expected = {"apec", "bknpower", "bremss",   "constant", "cutoffpl", "diskbb",
                                             "ezdiskbb", "gaussian", "lorentz",  "powerlaw", "simpl",
                                             "simplcut", "tbabs",    "zbremss",  "zgauss",   "zpowerlw"};
  std::vector<std::string> names = model_names();
  for (const auto& name : expected) CHECK_MESSAGE(has_model(name), "missing model ", name);
  CHECK_MESSAGE(names.size() == expected.size(), "registered: ", names.size(), " expected: ", expected.size());

  const std::vector<double> edges = log_grid(0.05, 200.0, 600);  // (E+1)
  const auto E = static_cast<std::int64_t>(edges.size()) - 1;
  std::vector<double> seed(E);  // (E) input flux for convolutions: a powerlaw
  {
    const double p[2] = {2.0, 1.0};
    evaluate_model(find_model("powerlaw"), edges.data(), E, p, seed.data());
  }
  for (const auto& name : names) {
    CAPTURE(name);
    const ModelInfo& m = find_model(name);
    CHECK(m.name == name);
    std::vector<double> out(E, -1.0);  // (E)
    if (m.kind == ModelKind::convolution) out = seed;
    const auto p = defaults(m);
    evaluate_model(m, edges.data(), E, p.data(), out.data());
    CHECK(out.size() == static_cast<std::size_t>(E));
    double total = 0;
    for (double v : out) {
      CHECK(std::isfinite(v));
      CHECK(v >= 0.0);
      total += v;
    }
    CHECK(total > 0.0);
    if (m.kind == ModelKind::multiplicative)
      for (double v : out) CHECK(v <= 1e10);
    // Each parameter at its soft limits (the others at defaults) still gives finite, non-negative bins.
    for (std::size_t k = 0; k < m.params.size(); ++k) {
      for (double v : {m.params[k].soft_min, m.params[k].soft_max}) {
        CAPTURE(m.params[k].name);
        CAPTURE(v);
        auto q = p;
        q[k] = v;
        if (m.kind == ModelKind::convolution) out = seed;
        evaluate_model(m, edges.data(), E, q.data(), out.data());
        bool ok = true;
        for (double x : out) ok = ok && std::isfinite(x) && x >= 0.0;
        CHECK(ok);
      }
    }
  }
}

TEST_CASE("model registry: bin integrals of additive and multiplicative models add up over merged bins") {
  // Merging bins pairwise must give the sum (additive) or the width-weighted mean (multiplicative): a
  // check of every model's per-bin quadrature on a 10x coarser grid than the fine one.
  const std::vector<double> fine = log_grid(0.05, 200.0, 1200), coarse = log_grid(0.05, 200.0, 120);  // (E+1)
  for (const auto& name : model_names()) {
    const ModelInfo& m = find_model(name);
    if (m.kind == ModelKind::convolution) continue;
    CAPTURE(name);
    const auto p = defaults(m);
    std::vector<double> f(1200), c(120);  // (E)
    evaluate_model(m, fine.data(), 1200, p.data(), f.data());
    evaluate_model(m, coarse.data(), 120, p.data(), c.data());
    double peak = 0;
    for (double v : c) peak = std::max(peak, std::fabs(v));
    for (int k = 0; k < 120; ++k) {
      double merged = 0;
      for (int j = 10 * k; j < 10 * k + 10; ++j)
        merged += m.kind == ModelKind::additive ? f[j] : f[j] * (fine[j + 1] - fine[j]) / (coarse[k + 1] - coarse[k]);
      CHECK(c[k] == doctest::Approx(merged).epsilon(1e-6).scale(1e-9 * peak));
    }
  }
}

TEST_CASE("model registry: lookups, tables and parameter errors name the problem") {
  CHECK(find_model("PowerLaw").name == "powerlaw");  // case-insensitive like XSPEC
  CHECK(find_model("pow").name == "powerlaw");       // unique prefix like XSPEC
  CHECK_THROWS_WITH(find_model("simp"), doctest::Contains("ambiguous: simpl, simplcut"));
  CHECK(find_model("simpl").name == "simpl");  // an exact name wins over longer ones
  CHECK_THROWS_WITH(find_model("apecc"), doctest::Contains("unknown model 'apecc'"));
  CHECK_THROWS_WITH(find_model("apecc"), doctest::Contains("powerlaw"));  // lists the known names
  CHECK_THROWS_WITH(register_model(find_model("powerlaw")), doctest::Contains("already registered"));

  const ModelInfo& z = find_model("zpowerlw");
  REQUIRE(z.params.size() == 3);
  CHECK(z.params[1].name == "Redshift");
  CHECK(z.params[1].frozen);
  CHECK(z.redshift_index == 1);
  CHECK(find_model("tbabs").kind == ModelKind::multiplicative);
  CHECK(find_model("simpl").kind == ModelKind::convolution);

  const std::vector<double> edges = {1.0, 2.0, 3.0};
  std::vector<double> out(2);
  const double bad_nan[2] = {std::nan(""), 1.0};
  CHECK_THROWS_WITH(evaluate_model(find_model("powerlaw"), edges.data(), 2, bad_nan, out.data()),
                    doctest::Contains("powerlaw.PhoIndex"));
  const double bad_range[2] = {11.0, 1.0};
  CHECK_THROWS_WITH(evaluate_model(find_model("powerlaw"), edges.data(), 2, bad_range, out.data()),
                    doctest::Contains("outside its hard limits"));
  const double ok[2] = {2.0, 1.0};
  const std::vector<double> backwards = {1.0, 3.0, 2.0};
  CHECK_THROWS_WITH(evaluate_model(find_model("powerlaw"), backwards.data(), 2, ok, out.data()),
                    doctest::Contains("strictly increasing"));
}
