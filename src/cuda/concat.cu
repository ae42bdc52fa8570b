// torch.cat on the GPU (src/cpu/concat.cpp): one launch per input, one thread per element of that input,
// writing (or, backward, reading) its columns of each output row. No two threads touch the same element.
#include "specnet/cuda/concat.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

template <typename T>
void concat_forward(T* out, const T* const* ins, const std::int64_t* widths, std::int64_t k, std::int64_t outer) {
  std::int64_t W = 0;
  for (std::int64_t j = 0; j < k; ++j) W += widths[j];
  std::int64_t start = 0;
  for (std::int64_t j = 0; j < k; ++j) {
    const T* in = ins[j];
    const std::int64_t w = widths[j], s = start;
    for_each_index("concat_forward", outer * w, [=] __device__(std::int64_t e) {
      const std::int64_t o = e / w, c = e % w;
      out[o * W + s + c] = in[e];
    });
    start += w;
  }
}

template <typename T>
void concat_backward(T* const* dins, const T* dout, const std::int64_t* widths, std::int64_t k, std::int64_t outer) {
  std::int64_t W = 0;
  for (std::int64_t j = 0; j < k; ++j) W += widths[j];
  std::int64_t start = 0;
  for (std::int64_t j = 0; j < k; ++j) {
    T* din = dins[j];
    const std::int64_t w = widths[j], s = start;
    start += w;
    if (!din) continue;
    for_each_index("concat_backward", outer * w, [=] __device__(std::int64_t e) {
      const std::int64_t o = e / w, c = e % w;
      din[e] += dout[o * W + s + c];
    });
  }
}

#define SPECNET_INSTANTIATE(T)                                                                           \
  template void concat_forward<T>(T*, const T* const*, const std::int64_t*, std::int64_t, std::int64_t); \
  template void concat_backward<T>(T* const*, const T*, const std::int64_t*, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
