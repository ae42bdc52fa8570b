// Linear kernels on cuBLAS (device pointers): out = in w^T + b, as torch.nn.functional.linear.
// Same names and arguments as specnet/cpu/linear.h; kernels run on the layer stream. Backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// out (N, O) = in (N, I) * w (O, I)^T + b (O) [b may be null]
template <typename T>
void linear_forward(T* out, const T* in, const T* w, const T* b, std::int64_t N, std::int64_t I, std::int64_t O);

// din (N, I) += dout w; dw (O, I) += dout^T in; db (O) += sum_n dout. Any of din/dw/db may be null.
template <typename T>
void linear_backward(T* din, T* dw, T* db, const T* dout, const T* in, const T* w, std::int64_t N, std::int64_t I,
                     std::int64_t O);

// c (M, N) (+)= a (M, K) * b (K, N), all row-major; `accumulate` adds into c.
template <typename T>
void matmul_forward(T* c, const T* a, const T* b, std::int64_t M, std::int64_t K, std::int64_t N, bool accumulate);

}  // namespace specnet::cuda
