// Dropout on the GPU (src/cpu/dropout.cpp): element i is kept when the uniform of Philox4x32-10 block
// (first + i) of (seed, stream) exceeds p, the same integer test as the CPU, so both give the same mask.
#include "specnet/cuda/dropout.h"

#include <cmath>

#include "specnet/cuda/kernel.cuh"
#include "specnet/philox.h"

namespace specnet::cuda {
namespace {
// The 53-bit integer m behind Rng::uniform_from(rng.block(index)) = (m + 1) 2^-53 (the shared philox.h rounds).
__device__ inline std::uint64_t philox_m53(std::uint64_t index, std::uint32_t s0, std::uint32_t s1, std::uint32_t k0,
                                           std::uint32_t k1) {
  const PhiloxWords w =
      philox4x32_10(static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), s0, s1, k0, k1);
  return specnet::philox_m53(w.w0, w.w1);
}
}  // namespace

template <typename T>
void dropout_forward(T* out, T* mask, const T* in, std::int64_t n, double p, const Rng& rng, std::uint64_t first) {
  const T scale = static_cast<T>(1.0 / (1.0 - p));
  // u = (m + 1) 2^-53 > p  <=>  m >= floor(p 2^53), exactly as the CPU kernel
  const std::uint64_t threshold = static_cast<std::uint64_t>(std::floor(p * 9007199254740992.0));
  const std::uint32_t s0 = static_cast<std::uint32_t>(rng.stream());
  const std::uint32_t s1 = static_cast<std::uint32_t>(rng.stream() >> 32);
  const std::uint32_t k0 = static_cast<std::uint32_t>(rng.seed()), k1 = static_cast<std::uint32_t>(rng.seed() >> 32);
  for_each_index("dropout_forward", n, [=] __device__(std::int64_t i) {
    const bool keep = philox_m53(first + static_cast<std::uint64_t>(i), s0, s1, k0, k1) >= threshold;
    const T m = keep ? scale : T(0);
    mask[i] = m;
    out[i] = in[i] * m;
  });
}

template <typename T>
void dropout_backward(T* din, const T* mask, const T* dout, std::int64_t n) {
  for_each_index("dropout_backward", n, [=] __device__(std::int64_t i) { din[i] += dout[i] * mask[i]; });
}

template void dropout_forward<float>(float*, float*, const float*, std::int64_t, double, const Rng&, std::uint64_t);
template void dropout_forward<double>(double*, double*, const double*, std::int64_t, double, const Rng&, std::uint64_t);
template void dropout_backward<float>(float*, const float*, const float*, std::int64_t);
template void dropout_backward<double>(double*, const double*, const double*, std::int64_t);

}  // namespace specnet::cuda
