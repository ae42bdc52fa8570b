// Energy grid helpers: linear/log edges, XSPEC-style "lo:hi:n:log" specs and validation errors.
#include <cmath>

#include "harness.h"
#include "specnet/error.h"
#include "specnet/sim/energy_grid.h"

using namespace specnet;
using namespace specnet::sim;

TEST_CASE("model grid: linear and log grids have exact ends and constant steps") {
  const auto lin = linear_grid(1.0, 11.0, 10);
  REQUIRE(lin.size() == 11);
  CHECK(lin.front() == 1.0);
  CHECK(lin.back() == 11.0);
  for (std::size_t i = 1; i < lin.size(); ++i) CHECK(lin[i] - lin[i - 1] == doctest::Approx(1.0));
  const auto lg = parse_energy_grid("0.3:80:2000:log");
  REQUIRE(lg.size() == 2001);
  CHECK(lg.front() == 0.3);
  CHECK(lg.back() == 80.0);
  const double ratio = std::pow(80.0 / 0.3, 1.0 / 2000.0);
  for (std::size_t i = 1; i < lg.size(); ++i) CHECK(lg[i] / lg[i - 1] == doctest::Approx(ratio).epsilon(1e-12));
  CHECK(parse_energy_grid("1 2 4").size() == 5);  // whitespace, default linear
  CHECK(parse_energy_grid("1:2:4:LIN")[1] == doctest::Approx(1.25));
  validate_energy_edges(lg);
}

TEST_CASE("model grid: malformed specs and grids give clear errors") {
  CHECK_THROWS_WITH(parse_energy_grid("0.3:80"), doctest::Contains("expected lo:hi:nbins"));
  CHECK_THROWS_WITH(parse_energy_grid("0.3:80:abc:log"), doctest::Contains("bin count: 'abc' is not a finite number"));
  CHECK_THROWS_WITH(parse_energy_grid("0.3:80:10.5"), doctest::Contains("whole number in [1, 10^7]"));
  CHECK_THROWS_WITH(parse_energy_grid("0.3:80:10:cubic"), doctest::Contains("lin or log"));
  CHECK_THROWS_WITH(parse_energy_grid("80:0.3:10"), doctest::Contains("lo < hi"));
  CHECK_THROWS_WITH(parse_energy_grid("0:10:10:log"), doctest::Contains("must be > 0"));
  CHECK_THROWS_WITH(validate_energy_edges({1.0, 2.0, 2.0}), doctest::Contains("strictly increasing"));
  CHECK_THROWS_WITH(validate_energy_edges({-1.0, 2.0}), doctest::Contains("must be finite and > 0"));
  CHECK_THROWS_WITH(validate_energy_edges({1.0, std::nan("")}), doctest::Contains("edge 1"));
  CHECK_THROWS_WITH(validate_energy_edges({1.0}), doctest::Contains("at least 2"));
}
