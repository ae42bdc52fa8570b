// ELU / SELU kernels (CUDA), as torch.nn.functional.elu and selu (constants in specnet/cpu/elu.h).
// Same signatures as specnet/cpu/elu.h with device pointers (src/cuda/elu.cu); backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cuda {

template <typename T>
void elu_forward(T* out, const T* in, std::int64_t n, double alpha, double scale);
// din (n) += dout * (x > 0 ? scale : scale alpha exp(x))
template <typename T>
void elu_backward(T* din, const T* in, const T* dout, std::int64_t n, double alpha, double scale);

}  // namespace specnet::cuda
