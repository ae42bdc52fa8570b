// Strided copies, accumulations and fills on the GPU (src/cpu/copy.cpp's kernels): one thread per
// element of the contiguous side, the strided offset recomputed from the linear index.
#include "specnet/cuda/copy.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {
namespace {
// Shape and strides by value for the kernel (int64 throughout).
struct Layout {
  int nd = 0;
  std::int64_t shape[kMaxDims];
  std::int64_t strides[kMaxDims];
};

Layout make_layout(const char* op, const Shape& shape, const Shape& strides) {
  SPECNET_CHECK(shape.size() <= static_cast<std::size_t>(kMaxDims), op, ": tensors with ", shape.size(),
                " dimensions exceed the CUDA limit of ", kMaxDims);
  SPECNET_CHECK(shape.size() == strides.size(), op, ": ", shape.size(), " sizes but ", strides.size(), " strides");
  Layout l;
  l.nd = static_cast<int>(shape.size());
  for (int d = 0; d < l.nd; ++d) {
    l.shape[d] = shape[d];
    l.strides[d] = strides[d];
  }
  return l;
}

// Offset (elements) of row-major linear index i through the layout's strides.
__device__ inline std::int64_t strided_offset(const Layout& l, std::int64_t i) {
  std::int64_t off = 0;
  for (int d = l.nd - 1; d >= 0; --d) {
    const std::int64_t s = l.shape[d];
    off += (i % s) * l.strides[d];
    i /= s;
  }
  return off;
}
}  // namespace

template <typename TD, typename TS>
void strided_copy(TD* dst, const TS* src, const Shape& shape, const Shape& src_strides) {
  const Layout l = make_layout("strided_copy", shape, src_strides);
  for_each_index("strided_copy", shape_numel(shape),
                 [=] __device__(std::int64_t i) { dst[i] = static_cast<TD>(src[strided_offset(l, i)]); });
}

template <typename TD, typename TS>
void strided_scatter(TD* dst, const Shape& dst_strides, const TS* src, const Shape& shape) {
  const Layout l = make_layout("strided_scatter", shape, dst_strides);
  for_each_index("strided_scatter", shape_numel(shape),
                 [=] __device__(std::int64_t i) { dst[strided_offset(l, i)] = static_cast<TD>(src[i]); });
}

template <typename T>
void strided_accumulate(T* dst, const Shape& dst_strides, const T* src, const Shape& shape) {
  const Layout l = make_layout("strided_accumulate", shape, dst_strides);
  for_each_index("strided_accumulate", shape_numel(shape),
                 [=] __device__(std::int64_t i) { dst[strided_offset(l, i)] += src[i]; });
}

template <typename T>
void accumulate(T* y, const T* x, std::int64_t n) {
  for_each_index("accumulate", n, [=] __device__(std::int64_t i) { y[i] += x[i]; });
}

template <typename T>
void fill(T* dst, std::int64_t n, double value) {
  const T v = static_cast<T>(value);
  for_each_index("fill", n, [=] __device__(std::int64_t i) { dst[i] = v; });
}

#define SPECNET_INSTANTIATE_PAIR(TD, TS)                                                   \
  template void strided_copy<TD, TS>(TD*, const TS*, const Shape&, const Shape&);          \
  template void strided_scatter<TD, TS>(TD*, const Shape&, const TS*, const Shape&);
SPECNET_INSTANTIATE_PAIR(float, float)
SPECNET_INSTANTIATE_PAIR(float, double)
SPECNET_INSTANTIATE_PAIR(double, float)
SPECNET_INSTANTIATE_PAIR(double, double)
#define SPECNET_INSTANTIATE(T)                                                        \
  template void strided_accumulate<T>(T*, const Shape&, const T*, const Shape&);      \
  template void accumulate<T>(T*, const T*, std::int64_t);                            \
  template void fill<T>(T*, std::int64_t, double);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
