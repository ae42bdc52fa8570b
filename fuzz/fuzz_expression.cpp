// libFuzzer harness for the XSPEC model-expression parser and parameter setting: the first line of the input
// is an expression, each further line "name=value"; everything is parsed, set and evaluated on a fixed grid.
// Anything but a specnet::Error (crash, sanitizer report, other exception, non-finite output) is a bug.
//
// Build (from the repository root):
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I/usr/include/eigen3 \
//       fuzz/fuzz_expression.cpp src/sim/*.cpp src/core/*.cpp src/cpu/copy.cpp src/io/*.cpp \
//       $(pkg-config --cflags --libs cfitsio) -fopenmp -o build/fuzz_expression
// Run: mkdir -p build/corpus_expr && printf 'tbabs*(apec+apec)\napec_2.kT=3\n' > build/corpus_expr/a &&
//      ./build/fuzz_expression -max_total_time=60 build/corpus_expr
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "specnet/error.h"
#include "specnet/sim/composite_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  std::string expression, line;
  std::getline(in, expression);
  try {
    specnet::sim::CompositeModel model(expression);
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      char* end = nullptr;
      const double v = std::strtod(line.c_str() + eq + 1, &end);
      model.set(line.substr(0, eq), v);
    }
    std::vector<double> edges;
    for (int i = 0; i <= 64; ++i) edges.push_back(0.3 * std::pow(300.0, i / 64.0));
    for (double y : model.evaluate(edges))
      if (!std::isfinite(y)) std::abort();  // a model that accepted its parameters must return finite flux
  } catch (const specnet::Error&) {
    // The documented outcome for malformed input.
  }
  return 0;
}
