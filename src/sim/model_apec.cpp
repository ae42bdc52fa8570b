// apec registered as a spectral model: kT, Abundanc, Redshift, norm in XSPEC's order and limits (the
// hard kT range is the embedded CHIANTI table's). The physics lives in src/sim/apec.cpp.
#include "specnet/sim/apec.h"
#include "specnet/sim/model.h"

namespace specnet::sim {
namespace {

// params: kT [keV], Abundanc (solar, angr), Redshift, norm. out: (E) photons cm^-2 s^-1 per bin.
void apec_eval(const double* edges_kev, std::int64_t E, const double* p, double* out) {
  apec_photons(edges_kev, E, p[0], p[1], p[2], p[3], out);
}

ModelInfo make_apec() {
  const double kt_lo = apec_kt_min_kev(), kt_hi = apec_kt_max_kev();
  return {"apec",
          ModelKind::additive,
          {{"kT", "keV", 1.0, kt_lo, kt_lo, kt_hi, kt_hi},
           {"Abundanc", "", 1.0, 0.0, 0.0, 5.0, 5.0, true},
           redshift_param(),
           norm_param()},
          apec_eval,
          "collisional-ionisation-equilibrium plasma from CHIANTI 10.1 (native apec, see docs/physics.md)"};
}

}  // namespace
}  // namespace specnet::sim

SPECNET_REGISTER_MODEL(apec, specnet::sim::make_apec());
