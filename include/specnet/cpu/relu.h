// ReLU kernels (CPU), as torch.nn.functional.relu: max(x, 0), gradient 1 for x > 0 and 0 elsewhere
// (0 at x = 0, as torch). Backward accumulates into din.
#pragma once
#include <cstdint>

namespace specnet::cpu {

template <typename T>
void relu_forward(T* out, const T* in, std::int64_t n);
// din (n) += dout * relu'; `in` is the forward's input
template <typename T>
void relu_backward(T* din, const T* in, const T* dout, std::int64_t n);

}  // namespace specnet::cpu
