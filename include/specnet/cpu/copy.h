// Layout kernels behind contiguous(), casts and view backward passes (CPU).
#pragma once
#include <cstdint>

#include "specnet/dtype.h"

namespace specnet::cpu {

// dst (contiguous, `shape`) = src read through `src_strides` (elements), with type conversion.
template <typename TD, typename TS>
void strided_copy(TD* dst, const TS* src, const Shape& shape, const Shape& src_strides);

// dst read through `dst_strides` = src (contiguous, `shape`), with type conversion: copy_ into a view.
template <typename TD, typename TS>
void strided_scatter(TD* dst, const Shape& dst_strides, const TS* src, const Shape& shape);

// dst read through `dst_strides` += src (contiguous, `shape`): backward of slice/transpose views.
template <typename T>
void strided_accumulate(T* dst, const Shape& dst_strides, const T* src, const Shape& shape);

// y += x over n elements.
template <typename T>
void accumulate(T* y, const T* x, std::int64_t n);

}  // namespace specnet::cpu
