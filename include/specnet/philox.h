// Philox4x32-10 (Salmon et al. 2011): the one definition of the rounds, shared by the CPU Rng (rng.h) and the CUDA
// kernels (dropout, fakeit), so GPU streams equal CPU streams by construction rather than by a second copy.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define SPECNET_PHILOX_HD __host__ __device__
#else
#define SPECNET_PHILOX_HD
#endif

namespace specnet {

struct PhiloxWords {
  std::uint32_t w0, w1, w2, w3;
};

// One block: 4 random 32-bit words for the 128-bit counter (c0..c3) and the 64-bit key (k0, k1).
SPECNET_PHILOX_HD inline PhiloxWords philox4x32_10(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                                                   std::uint32_t c3, std::uint32_t k0, std::uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    const std::uint64_t p0 = static_cast<std::uint64_t>(0xD2511F53u) * c0;
    const std::uint64_t p1 = static_cast<std::uint64_t>(0xCD9E8D57u) * c2;
    const std::uint32_t n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1 ^ k0;
    const std::uint32_t n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<std::uint32_t>(p1);
    c3 = static_cast<std::uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {c0, c1, c2, c3};
}

// The 53 random bits of two words: Rng's uniform is (m + 1) 2^-53, in (0, 1] so that log() is safe.
SPECNET_PHILOX_HD inline std::uint64_t philox_m53(std::uint32_t a, std::uint32_t b) {
  return ((static_cast<std::uint64_t>(a) << 21) ^ (b >> 11)) & ((std::uint64_t{1} << 53) - 1);
}
SPECNET_PHILOX_HD inline double philox_unit(std::uint32_t a, std::uint32_t b) {
  return (static_cast<double>(philox_m53(a, b)) + 1.0) * (1.0 / 9007199254740992.0);
}

}  // namespace specnet
