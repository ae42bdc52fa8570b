// 1-d convolution kernels on the GPU (im2col + one cuBLAS GEMM over the whole batch), as
// torch.nn.functional.conv1d with groups=1. Same names and arguments as specnet/cpu/conv1d.h; device pointers.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// out (B, O, M) = (or += when `accumulate`) conv(in (B, C, L), w (O, C, K)) + b (O) [b may be null].
// out[b, o, m] = sum_{c, k} w[o, c, k] in[b, c, m stride + k dil - pad] (zero outside [0, L)).
// M is given explicitly; positions with m stride + k dil - pad >= L read zero.
template <typename T>
void conv1d_forward(T* out, const T* in, const T* w, const T* b, std::int64_t B, std::int64_t C, std::int64_t L,
                    std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride, std::int64_t pad,
                    std::int64_t dil, bool accumulate = false);

// din (B, C, L) += conv1d input gradient for dout (B, O, M) (the adjoint of conv1d_forward without bias).
template <typename T>
void conv1d_backward_data(T* din, const T* dout, const T* w, std::int64_t B, std::int64_t C, std::int64_t L,
                          std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride, std::int64_t pad,
                          std::int64_t dil);

// dw (O, C, K) += sum_b dout_b in-patches; db (O) += sum_{b, m} dout [dw or db may be null]. Per-chunk partial
// sums are added in chunk order, so the result does not depend on the thread count.
template <typename T>
void conv1d_backward_weight(T* dw, T* db, const T* dout, const T* in, std::int64_t B, std::int64_t C,
                            std::int64_t L, std::int64_t O, std::int64_t M, std::int64_t K, std::int64_t stride,
                            std::int64_t pad, std::int64_t dil);

// db (O) += sum_{b, m} dout (B, O, M): the bias gradient shared by conv1d and conv_transpose1d.
template <typename T>
void conv1d_backward_bias(T* db, const T* dout, std::int64_t B, std::int64_t O, std::int64_t M);

}  // namespace specnet::cuda
