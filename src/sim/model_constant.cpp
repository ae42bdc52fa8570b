// constant: energy-independent multiplicative factor (cross-normalisation between instruments).
// Matches XSPEC's constant model (parameter factor).
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// params: factor. out: (E) dimensionless.
void constant_eval(const double*, std::int64_t E, const double* p, double* out) {
  for (std::int64_t i = 0; i < E; ++i) out[i] = p[0];
}

ModelInfo make_constant() {
  return {"constant",
          ModelKind::multiplicative,
          {{"factor", "", 1.0, 0.0, 0.0, 1e10, 1e10}},
          constant_eval,
          "energy-independent factor"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(constant, specnet::sim::make_constant());
