// Backend dispatch for the autodiff ops: SPECNET_KERNEL(device, name, args...) calls specnet::cuda::name
// for Device::cuda and specnet::cpu::name otherwise; both namespaces declare the same raw-pointer kernels.
#pragma once
#include "specnet/cuda/runtime.h"
#include "specnet/dtype.h"

namespace specnet::cuda {
// In a build without CUDA a cuda tensor cannot exist; this guard names the kernel if one ever reaches it.
inline void require_cpu_build(Device d, const char* kernel) {
  if (d == Device::cuda) throw_built_without_cuda(kernel);
}
}  // namespace specnet::cuda

// An expression (its value is the kernel's return value): pointers must live on `device` (Tensor::ptr<T>()).
// Template arguments are deduced from the pointers, so write SPECNET_KERNEL(d, strided_copy, dst, src, ...).
#ifdef SPECNET_WITH_CUDA
#define SPECNET_KERNEL(device, name, ...) \
  ((device) == ::specnet::Device::cuda ? ::specnet::cuda::name(__VA_ARGS__) : ::specnet::cpu::name(__VA_ARGS__))
#else
#define SPECNET_KERNEL(device, name, ...) \
  (::specnet::cuda::require_cpu_build((device), #name), ::specnet::cpu::name(__VA_ARGS__))
#endif
