// A tiny IC training split for the IC tests: 120 small 2T spectra (up to 30 keV) whose labels come from the
// generating values, not 1T fits (the fits are not what those tests are about).
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

#include "specnet/ic/dataset.h"
#include "specnet/nn/ic_cae.h"

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

// The narrow CAE of the IC tests (channels 4-24, hidden 16, 8).
inline nn::IcCaeConfig tiny_cae_config(std::int64_t bins) {
  nn::IcCaeConfig c;
  c.n_bins = bins;
  c.channels = {4, 8, 12, 16, 24};
  c.hidden = {16, 8};
  return c;
}

// An empty scratch directory <tmp>/<name>_<pid> (per process: /tmp is shared with other test runs).
inline std::filesystem::path fresh_temp_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / (name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace specnet::test
