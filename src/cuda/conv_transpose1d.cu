// conv_transpose1d kernels on the GPU as the conv1d kernels with input and output swapped (w (C, O, K) is a conv1d
// weight mapping O channels to C); matches torch.nn.functional.conv_transpose1d with groups=1.
#include "layer_common.cuh"
#include "specnet/cuda/conv1d.h"
#include "specnet/cuda/conv_transpose1d.h"

namespace specnet::cuda {
template <typename T>
void conv_transpose1d_forward(T* out, const T* in, const T* w, const T* b, std::int64_t B, std::int64_t C,
                              std::int64_t L, std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride,
                              std::int64_t pad, std::int64_t dil) {
  if (B * O * M == 0) return;
  // Positions no tap reaches keep only the bias, as in torch.
  detail::channel_bias(out, b, B, O, M, false);
  // The conv1d that maps (B, O, M) to (B, C, L) with weight w has this as its input gradient.
  conv1d_backward_data(out, in, w, B, O, M, C, L, K, stride, pad, dil);
}

template <typename T>
void conv_transpose1d_backward_data(T* din, const T* dout, const T* w, std::int64_t B, std::int64_t C, std::int64_t L,
                                    std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride,
                                    std::int64_t pad, std::int64_t dil) {
  conv1d_forward<T>(din, dout, w, nullptr, B, O, M, C, L, K, stride, pad, dil, true);
}

template <typename T>
void conv_transpose1d_backward_weight(T* dw, T* db, const T* dout, const T* in, std::int64_t B, std::int64_t C,
                                      std::int64_t L, std::int64_t O, std::int64_t M, std::int64_t K,
                                      std::int64_t stride, std::int64_t pad, std::int64_t dil) {
  if (db) conv1d_backward_bias(db, dout, B, O, M);
  // As a conv1d weight gradient: "dout" is the transposed conv's input, "input" its output gradient.
  if (dw) conv1d_backward_weight<T>(dw, nullptr, in, dout, B, O, M, C, L, K, stride, pad, dil);
}

#define SPECNET_INSTANTIATE(T)                                                                                      \
  template void conv_transpose1d_forward<T>(T*, const T*, const T*, const T*, std::int64_t, std::int64_t,           \
                                            std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t,   \
                                            std::int64_t, std::int64_t);                                            \
  template void conv_transpose1d_backward_data<T>(T*, const T*, const T*, std::int64_t, std::int64_t, std::int64_t, \
                                                  std::int64_t, std::int64_t, std::int64_t, std::int64_t,           \
                                                  std::int64_t, std::int64_t);                                      \
  template void conv_transpose1d_backward_weight<T>(T*, T*, const T*, const T*, std::int64_t, std::int64_t,         \
                                                    std::int64_t, std::int64_t, std::int64_t, std::int64_t,         \
                                                    std::int64_t, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cuda
