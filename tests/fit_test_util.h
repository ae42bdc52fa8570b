// Shared fixture for the fit tests: the built-in NuSTAR RMF x ARF as one shared matrix, and fakeit spectra of a
// model through it (Poisson counts from a Philox stream).
#pragma once
#include <memory>
#include <vector>

#include "sim_test_util.h"
#include "specnet/io/response.h"
#include "specnet/sim/composite_model.h"
#include "specnet/sim/fakeit.h"

namespace specnet::test {

inline std::shared_ptr<const io::SparseResponse> nustar_matrix() {
  static const auto m = std::make_shared<const io::SparseResponse>(builtin_nustar().matrix());
  return m;
}

// A fakeit setup (no background) for the built-in NuSTAR response; build once per test and reuse.
inline sim::FakeitSetup nustar_setup(double exposure_s) { return sim::make_fakeit_setup(builtin_nustar(), exposure_s); }

// Poisson counts (H) of `model` observed with `setup` from Philox stream (seed, stream).
inline std::vector<double> fake_spectrum(const sim::FakeitSetup& setup, const sim::CompositeModel& model,
                                         std::uint64_t seed, std::uint64_t stream) {
  const auto photons = model.evaluate(setup.response.energy_edges_kev());
  return sim::fake_counts(setup, photons.data(), seed, stream);
}

// tbabs*powerlaw with the given nH (10^22 cm^-2), photon index and norm; nH frozen when freeze_nh.
inline sim::CompositeModel absorbed_powerlaw(double nh, double gamma, double norm, bool freeze_nh = false) {
  sim::CompositeModel m("tbabs*powerlaw");
  m.set("tbabs_1.nH", nh);
  m.set("powerlaw_2.PhoIndex", gamma);
  m.set("powerlaw_2.norm", norm);
  m.freeze("tbabs_1.nH", freeze_nh);
  return m;
}

}  // namespace specnet::test
