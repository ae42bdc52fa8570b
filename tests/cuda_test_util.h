// Helpers shared by the CUDA parity tests: skip with a message when no GPU is usable, and compare a device result
// with its CPU twin relative to the CPU values' scale.
#pragma once
#include <algorithm>
#include <cmath>
#include <string>

#include "harness.h"

namespace specnet::test {

// True when a CUDA device is usable; otherwise prints why the calling test is skipped.
inline bool gpu_present(const char* what) {
  if (available_devices().size() > 1) return true;
  const std::string why = std::string(what) + ": " + cuda_skip_reason();
  MESSAGE(why);
  return false;
}

// max |gpu - cpu| <= rtol (1 + max |cpu|); gpu may live on any device.
inline void check_close(const Tensor& gpu, const Tensor& cpu, double rtol, const std::string& what) {
  REQUIRE_MESSAGE(gpu.shape() == cpu.shape(), what, ": shape ", shape_str(gpu.shape()), " vs ", shape_str(cpu.shape()));
  const Tensor back = gpu.detach().to(Device::cpu);
  double scale = 0;
  for (double v : cpu.to_vector()) scale = std::max(scale, std::abs(v));
  const double diff = max_abs_diff(back, cpu.detach());
  CHECK_MESSAGE(diff <= rtol * (1 + scale), what, ": max |gpu - cpu| = ", diff, " (scale ", scale, ")");
}

}  // namespace specnet::test
