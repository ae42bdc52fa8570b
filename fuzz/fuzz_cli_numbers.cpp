// libFuzzer harness for the number parsing behind the CLI's options (io::parse_finite_double/parse_integer,
// --priors, --params, --energies): the input is one option value. Accepted numbers must be finite and
// survive a round trip; anything but a specnet::Error is a bug.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_util.h"
#include "specnet/io/parse_number.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/fakeit.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace specnet;
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzz::expect_only_errors([&] {
    const double v = io::parse_finite_double(text, "fuzz");
    if (!std::isfinite(v)) std::abort();
  });
  fuzz::expect_only_errors([&] {
    const long long v = io::parse_integer(text, "fuzz");
    if (io::parse_integer(std::to_string(v), "round trip") != v) std::abort();
  });
  fuzz::expect_only_errors([&] {
    for (const auto& p : sim::parse_priors(text))
      if (!(p.lo < p.hi) || !std::isfinite(p.sample(0.5)) || (p.log && !(p.lo > 0))) std::abort();
  });
  fuzz::expect_only_errors([&] { sim::parse_param_values(text); });
  fuzz::expect_only_errors([&] {
    const auto edges = sim::parse_energy_grid(text);
    for (std::size_t i = 1; i < edges.size(); ++i)
      if (!(edges[i] > edges[i - 1])) std::abort();
  });
  return 0;
}
