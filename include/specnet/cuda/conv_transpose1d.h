// 1-d transposed convolution kernels on the GPU (the conv1d kernels with input and output swapped), as
// torch.nn.functional.conv_transpose1d, groups=1. Same names and arguments as specnet/cpu/conv_transpose1d.h.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// out (B, O, M) = conv_transpose(in (B, C, L), w (C, O, K)) + b (O) [b may be null]:
// out[b, o, l stride + k dil - pad] += in[b, c, l] w[c, o, k]; M = (L - 1) stride - 2 pad + dil (K - 1) + opad + 1.
template <typename T>
void conv_transpose1d_forward(T* out, const T* in, const T* w, const T* b, std::int64_t B, std::int64_t C,
                              std::int64_t L, std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride,
                              std::int64_t pad, std::int64_t dil);

// din (B, C, L) += conv1d(dout (B, O, M), w) (the transposed convolution's input gradient).
template <typename T>
void conv_transpose1d_backward_data(T* din, const T* dout, const T* w, std::int64_t B, std::int64_t C,
                                    std::int64_t L, std::int64_t O, std::int64_t M, std::int64_t K,
                                    std::int64_t stride, std::int64_t pad, std::int64_t dil);

// dw (C, O, K) += sum_b in_b dout_b-patches; db (O) += sum_{b, m} dout [dw or db may be null].
template <typename T>
void conv_transpose1d_backward_weight(T* dw, T* db, const T* dout, const T* in, std::int64_t B, std::int64_t C,
                                      std::int64_t L, std::int64_t O, std::int64_t M, std::int64_t K,
                                      std::int64_t stride, std::int64_t pad, std::int64_t dil);

}  // namespace specnet::cuda
