// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011, as in cuRAND and PyTorch's CUDA
// generator): the value at (seed, stream, counter) is a pure function, so CPU and GPU kernels and
// any number of threads produce the same streams.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>

#include "specnet/philox.h"

namespace specnet {

// One Philox4x32-10 block: 4 random 32-bit words for a 128-bit counter and 64-bit key.
inline std::array<std::uint32_t, 4> philox4x32(std::array<std::uint32_t, 4> ctr, std::uint64_t key64) {
  const PhiloxWords w = philox4x32_10(ctr[0], ctr[1], ctr[2], ctr[3], static_cast<std::uint32_t>(key64),
                                      static_cast<std::uint32_t>(key64 >> 32));
  return {w.w0, w.w1, w.w2, w.w3};
}

// Uniform in (0, 1], never exactly 0 so that log() is safe.
inline double u32_to_unit(std::uint32_t a, std::uint32_t b) { return philox_unit(a, b); }

// A stream of numbers addressed by (seed, stream). `offset` counts 4-word blocks consumed; callers that
// need thread-count independence draw element i from block (base + i) with `at(i)` instead of next().
class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0, std::uint64_t stream = 0) : seed_(seed), stream_(stream) {}

  std::uint64_t seed() const { return seed_; }
  std::uint64_t stream() const { return stream_; }
  std::uint64_t offset() const { return offset_; }
  void set_offset(std::uint64_t o) { offset_ = o; }

  // The 4 words of block `index` of this stream (pure, thread-safe).
  std::array<std::uint32_t, 4> block(std::uint64_t index) const {
    return philox4x32({static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32),
                       static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)},
                      seed_);
  }
  // Reserve n blocks and return the first index: element i then uses block(first + i).
  std::uint64_t reserve(std::uint64_t n) {
    std::uint64_t first = offset_;
    offset_ += n;
    return first;
  }
  double uniform() { auto b = block(reserve(1)); return u32_to_unit(b[0], b[1]); }
  double normal() { auto b = block(reserve(1)); return normal_from(b); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  // Box-Muller on the block's first two uniforms.
  static double normal_from(const std::array<std::uint32_t, 4>& b) {
    double u1 = u32_to_unit(b[0], b[1]), u2 = u32_to_unit(b[2], b[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  static double uniform_from(const std::array<std::uint32_t, 4>& b) { return u32_to_unit(b[0], b[1]); }

 private:
  std::uint64_t seed_, stream_, offset_ = 0;
};

}  // namespace specnet
