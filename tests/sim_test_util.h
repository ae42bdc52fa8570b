// Shared fixture for the simulator tests: the built-in NuSTAR response, built once per test binary (building
// its Gaussian RMF takes ~0.1 s, and most simulator tests need it).
#pragma once
#include "specnet/sim/instrument.h"

namespace specnet::test {

inline const sim::InstrumentResponse& builtin_nustar() {
  static const sim::InstrumentResponse r = sim::builtin_response("nustar");
  return r;
}

}  // namespace specnet::test
