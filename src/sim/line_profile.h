// Shared helper for the line models: puts a zero-width line's whole flux into the bin holding E0.
// XSPEC's gaussian and lorentz treat width 0 the same way.
#pragma once
#include <cstdint>

namespace specnet::sim::detail {

// out: (E). Zeroes every bin, then adds norm to the bin with edges[i] <= e0 < edges[i+1] (if any).
inline void delta_line(const double* edges_kev, std::int64_t E, double e0_kev, double norm, double* out) {
  for (std::int64_t i = 0; i < E; ++i) out[i] = (edges_kev[i] <= e0_kev && e0_kev < edges_kev[i + 1]) ? norm : 0.0;
}

}  // namespace specnet::sim::detail
