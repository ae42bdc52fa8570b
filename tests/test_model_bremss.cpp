// bremss: Gaunt-factor interpolation against the van Hoof et al. (2014) table (when ../shared is present),
// and the bin integrals against the XSPEC bremss formula integrated by high-order quadrature.
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "model_test_util.h"
#include "specnet/sim/gaunt.h"
#include "specnet/sim/model.h"

using namespace specnet::sim;

namespace {
constexpr double kRy = 13.605693e-3;

// The merged Z=1 table: rows log u = -16 + 0.2 r, columns log gamma^2 = -6 + 0.2 c. Empty when absent.
std::vector<std::vector<double>> read_van_hoof(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::vector<double>> rows;
  int header = 0;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (header++ < 6) continue;
    std::istringstream is(line);
    std::vector<double> row;
    for (double v; is >> v;) row.push_back(v);
    rows.push_back(row);
  }
  return rows;
}
}  // namespace

TEST_CASE("model bremss: Gaunt factor reproduces the van Hoof table") {
  const std::string dir = specnet::test::shared_dir();
  if (dir.empty()) {
    MESSAGE("skipped: ../shared not found (van Hoof Gaunt table)");
    return;
  }
  const auto table = read_van_hoof(dir + "/data/atomic/vanhoof2014/gauntff_merged_Z01.dat");
  REQUIRE(table.size() == 146);
  auto at = [&](double log_u, double log_g2) {
    return table[static_cast<int>(std::lround((log_u + 16) / 0.2))][static_cast<int>(std::lround((log_g2 + 6) / 0.2))];
  };
  for (double log_g2 : {-4.0, -2.2, -1.0, 0.4, 2.0}) {
    for (double log_u : {-6.0, -2.0, -0.4, 0.0, 0.6, 1.4}) {
      CAPTURE(log_g2);
      CAPTURE(log_u);
      const double kt = kRy / std::pow(10.0, log_g2), e = kt * std::pow(10.0, log_u);
      CHECK(gaunt_ff(e, kt, 1.0) == doctest::Approx(at(log_u, log_g2)).epsilon(1e-6));  // on the nodes
      // Half-way between nodes where the table is smooth (non-relativistic kT, E <~ 4 kT): within 0.5% of the
      // geometric mean of the four neighbours.
      if (log_g2 < -3 || log_u > 1) continue;
      const double kt_mid = kRy / std::pow(10.0, log_g2 + 0.1), e_mid = kt_mid * std::pow(10.0, log_u + 0.1);
      const double mean = std::pow(
          at(log_u, log_g2) * at(log_u + 0.2, log_g2) * at(log_u, log_g2 + 0.2) * at(log_u + 0.2, log_g2 + 0.2), 0.25);
      CHECK(gaunt_ff(e_mid, kt_mid, 1.0) == doctest::Approx(mean).epsilon(0.005));
    }
  }
  // Z = 2 uses gamma^2 = 4 Ry / kT.
  const double kt = kRy * 4 / std::pow(10.0, -1.0);
  CHECK(gaunt_ff(kt, kt, 2.0) == doctest::Approx(at(0.0, -1.0)).epsilon(1e-6));
}

TEST_CASE("model bremss: bins integrate the XSPEC bremss density") {
  // N(E) = norm [g(E,T,1) + 4 * 0.085 g(E,T,2)] T^-1/2 exp(-E/T) / E
  const std::vector<double> edges = {0.05, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0};
  for (double kt : {0.2, 2.0, 8.0, 60.0}) {
    CAPTURE(kt);
    auto density = [&](double e) {
      return (gaunt_ff(e, kt, 1) + 0.34 * gaunt_ff(e, kt, 2)) / std::sqrt(kt) * std::exp(-e / kt) / e;
    };
    std::vector<double> out(edges.size() - 1);  // (E)
    const double p[2] = {kt, 2.0};
    evaluate_model(find_model("bremss"), edges.data(), static_cast<std::int64_t>(out.size()), p, out.data());
    for (std::size_t i = 0; i + 1 < edges.size(); ++i) {
      const double ref = specnet::test::simpson_log(density, edges[i], edges[i + 1]);
      CHECK(out[i] == doctest::Approx(2.0 * ref).epsilon(1e-6).scale(1e-300));
    }
  }
  // For a keV plasma the Gaunt factor near E = kT is of order 1.
  CHECK(gaunt_ff(2.0, 2.0, 1.0) > 0.8);
  CHECK(gaunt_ff(2.0, 2.0, 1.0) < 1.6);
  CHECK(gaunt_ff(1e-10, 2.0, 1.0) > gaunt_ff(1e-8, 2.0, 1.0));  // log growth below the table
}
