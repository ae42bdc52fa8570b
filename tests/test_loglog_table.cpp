// The log-log interpolation table behind diskbb and ezdiskbb samples f exactly at the ends of its range: a
// function that is 0 just past x_hi (as diskbb's J(a) beyond a = 700) must still tabulate, at any -O level.
#include <cmath>

#include "../src/sim/interpolation.h"
#include "harness.h"

using specnet::sim::detail::LogLogTable;

TEST_CASE("LogLogTable: end nodes are x_lo and x_hi exactly, so f may vanish outside the range") {
  // Regression: diskbb failed to load in the -O1 sanitizer build because the last node rounded to
  // 700.00000000000045, where J is 0. Many ranges, so that some end node would round outward without the fix.
  int built = 0;
  for (int i = 0; i < 200; ++i) {
    const double lo = 1e-6 * (1 + 0.37 * i), hi = 700.0 - 3.1 * i;
    CAPTURE(hi);
    auto f = [&](double x) { return x < lo || x > hi ? 0.0 : 1.0 / (1.0 + x); };
    const LogLogTable t(f, lo, hi, 0.01);
    CHECK(t.covers(hi));
    CHECK(t(hi) == doctest::Approx(1.0 / (1.0 + hi)).epsilon(1e-12));
    CHECK(t(lo) == doctest::Approx(1.0 / (1.0 + lo)).epsilon(1e-12));
    ++built;
  }
  CHECK(built == 200);
}
