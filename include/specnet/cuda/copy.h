// Layout kernels on the GPU behind to(device), contiguous(), casts, copy_, fill_ and view backward passes;
// same signatures as include/specnet/cpu/copy.h (pointers are device pointers, shapes are host vectors).
#pragma once
#include <cstdint>

#include "specnet/dtype.h"

namespace specnet::cuda {

constexpr int kMaxDims = 16;  // strided kernels pass shape and strides by value; more dims are refused

// dst (contiguous, `shape`) = src read through `src_strides` (elements), with type conversion.
template <typename TD, typename TS>
void strided_copy(TD* dst, const TS* src, const Shape& shape, const Shape& src_strides);
// dst read through `dst_strides` = src (contiguous, `shape`), with type conversion.
template <typename TD, typename TS>
void strided_scatter(TD* dst, const Shape& dst_strides, const TS* src, const Shape& shape);
// dst read through `dst_strides` += src (contiguous, `shape`); the view must not overlap itself.
template <typename T>
void strided_accumulate(T* dst, const Shape& dst_strides, const T* src, const Shape& shape);
// y (n) += x (n)
template <typename T>
void accumulate(T* y, const T* x, std::int64_t n);
// dst (n) = value
template <typename T>
void fill(T* dst, std::int64_t n, double value);

}  // namespace specnet::cuda
