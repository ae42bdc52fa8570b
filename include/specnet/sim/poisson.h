// Poisson sampling from the counter-based Philox Rng: inversion for small means, PTRS (Hormann 1993, the
// transformed rejection sampler NumPy uses) for mean >= 10; matches XSPEC fakeit's Poisson counting noise.
#pragma once
#include <cstdint>

#include "specnet/rng.h"

namespace specnet::sim {

// Sequential uniforms from one (seed, stream) of Philox: two 53-bit doubles per 4-word block. Each spectrum
// owns its stream, so results never depend on which thread simulates it.
class UniformStream {
 public:
  UniformStream(std::uint64_t seed, std::uint64_t stream) : rng_(seed, stream) {}
  double next() {  // in (0, 1]
    if (used_ == 2) {
      block_ = rng_.block(index_++);
      used_ = 0;
    }
    const double u = u32_to_unit(block_[2 * used_], block_[2 * used_ + 1]);
    ++used_;
    return u;
  }

 private:
  Rng rng_;
  std::uint64_t index_ = 0;
  std::array<std::uint32_t, 4> block_{};
  int used_ = 2;
};

// One Poisson(mean) draw; mean must be finite and >= 0 (Error otherwise). Exact for every mean.
double sample_poisson(double mean, UniformStream& uniforms);
// out[h] ~ Poisson(mean[h]) for h < n, in order from one stream. Error naming the index of a bad mean.
void sample_poisson(const double* mean, std::int64_t n, UniformStream& uniforms, double* out);

// log(k!) for k >= 0 (table below 16, Stirling series above; thread-safe unlike lgamma's signgam).
double log_factorial(double k);

}  // namespace specnet::sim
