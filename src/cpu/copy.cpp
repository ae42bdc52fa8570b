// Strided copies and accumulations (CPU reference for src/cuda/copy.cu).
#include "specnet/cpu/copy.h"

#include <vector>

#include "specnet/context.h"

namespace specnet::cpu {
namespace {
// Visits every element of `shape` in row-major order, calling f(linear_index, strided_offset).
template <typename F>
void for_each_strided(const Shape& shape, const Shape& strides, F&& f) {
  const std::size_t nd = shape.size();
  const std::int64_t n = shape_numel(shape);
  if (n == 0) return;
  if (nd == 0) { f(0, 0); return; }
  std::vector<std::int64_t> idx(nd, 0);
  std::int64_t off = 0;
  const std::int64_t inner = shape[nd - 1], inner_stride = strides[nd - 1];
  for (std::int64_t lin = 0; lin < n; lin += inner) {
    for (std::int64_t i = 0; i < inner; ++i) f(lin + i, off + i * inner_stride);
    // advance the outer indices (odometer)
    for (std::int64_t d = static_cast<std::int64_t>(nd) - 2; d >= 0; --d) {
      if (++idx[d] < shape[d]) { off += strides[d]; break; }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}
}  // namespace

template <typename TD, typename TS>
void strided_copy(TD* dst, const TS* src, const Shape& shape, const Shape& src_strides) {
  for_each_strided(shape, src_strides, [&](std::int64_t i, std::int64_t o) { dst[i] = static_cast<TD>(src[o]); });
}

template <typename TD, typename TS>
void strided_scatter(TD* dst, const Shape& dst_strides, const TS* src, const Shape& shape) {
  for_each_strided(shape, dst_strides, [&](std::int64_t i, std::int64_t o) { dst[o] = static_cast<TD>(src[i]); });
}

template <typename T>
void strided_accumulate(T* dst, const Shape& dst_strides, const T* src, const Shape& shape) {
  for_each_strided(shape, dst_strides, [&](std::int64_t i, std::int64_t o) { dst[o] += src[i]; });
}

template <typename T>
void accumulate(T* y, const T* x, std::int64_t n) {
  parallel_for(n, 1 << 16, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) y[i] += x[i];
  });
}

template void strided_copy<float, float>(float*, const float*, const Shape&, const Shape&);
template void strided_copy<float, double>(float*, const double*, const Shape&, const Shape&);
template void strided_copy<double, float>(double*, const float*, const Shape&, const Shape&);
template void strided_copy<double, double>(double*, const double*, const Shape&, const Shape&);
template void strided_scatter<float, float>(float*, const Shape&, const float*, const Shape&);
template void strided_scatter<float, double>(float*, const Shape&, const double*, const Shape&);
template void strided_scatter<double, float>(double*, const Shape&, const float*, const Shape&);
template void strided_scatter<double, double>(double*, const Shape&, const double*, const Shape&);
template void strided_accumulate<float>(float*, const Shape&, const float*, const Shape&);
template void strided_accumulate<double>(double*, const Shape&, const double*, const Shape&);
template void accumulate<float>(float*, const float*, std::int64_t);
template void accumulate<double>(double*, const double*, std::int64_t);

}  // namespace specnet::cpu
