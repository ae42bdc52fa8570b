// Softplus kernels (CPU), as torch.nn.functional.softplus: log(1 + exp(beta x)) / beta, and x itself
// where beta x > threshold (gradient 1 there). Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void softplus_forward(T* out, const T* in, std::int64_t n, double beta, double threshold);
template <typename T>
void softplus_backward(T* din, const T* in, const T* dout, std::int64_t n, double beta, double threshold);

}  // namespace specnet::cpu
