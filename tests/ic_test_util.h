// A tiny IC training split for the IC tests: 120 small 2T spectra (up to 30 keV) whose labels come from the
// generating values, not 1T fits (the fits are not what those tests are about).
#pragma once
#include "specnet/ic/dataset.h"

namespace specnet::test {

inline ic::IcSpectra tiny_truth_labelled_split() {
  ic::IcSimulationOptions o;
  o.seed = 4;
  o.e_max_kev = 30;
  o.progress = false;
  ic::IcSpectra s = ic::simulate_ic_split({120, 0, false}, 0, o);
  for (std::int64_t i = 0; i < s.size(); ++i) s.fit_kt_kev[i] = s.truth[i].kt1_kev, s.fit_norm[i] = s.truth[i].norm1;
  return s;
}

}  // namespace specnet::test
