// Tensor storage, creation, metadata and data access. Layout ops live in src/core/layout.cpp and the
// tape in src/core/autograd.cpp.
#include "specnet/tensor.h"

#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <sstream>

#include "allocator.h"
#include "specnet/autograd.h"
#include "specnet/context.h"
#include "specnet/cpu/copy.h"
#include "specnet/cuda/copy.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/runtime.h"

namespace specnet {

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "(";
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  if (s.size() == 1) os << ",";
  os << ")";
  return os.str();
}

std::int64_t shape_numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) {
    SPECNET_CHECK(d >= 0, "negative dimension in shape ", shape_str(s));
    SPECNET_CHECK(d == 0 || n <= std::numeric_limits<std::int64_t>::max() / d, "shape ", shape_str(s),
                  " has too many elements");
    n *= d;
  }
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  std::int64_t acc = 1;
  for (std::int64_t i = static_cast<std::int64_t>(s.size()) - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= std::max<std::int64_t>(s[i], 1);
  }
  return st;
}

// ---------------------------------------------------------------- storage
// Largest single allocation we accept: a clear error instead of an OOM kill on absurd sizes.
static constexpr std::size_t kMaxAllocBytes = std::size_t(1) << 36;  // 64 GiB

Storage::Storage(std::size_t n, Device dev) : nbytes(n), device(dev) {
  SPECNET_CHECK(n <= kMaxAllocBytes, "refusing to allocate ", n, " bytes (limit ", kMaxAllocBytes, ")");
  if (dev == Device::cuda) {
#ifdef SPECNET_WITH_CUDA
    SPECNET_CHECK(cuda::cuda_available(), "cuda tensor: device cuda is not available: ", cuda::device_description());
    if (n > 0) data = cuda::device_alloc(n);
    return;
#else
    cuda::throw_built_without_cuda("cuda tensor");
#endif
  }
  if (n == 0) return;
  data = detail::cpu_alloc(n);
}

Storage::~Storage() {
#ifdef SPECNET_WITH_CUDA
  if (device == Device::cuda) {
    cuda::device_free(data, nbytes);
    return;
  }
#endif
  detail::cpu_free(data, nbytes);
}

// ---------------------------------------------------------------- creation
Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  auto impl = std::make_shared<TensorImpl>();
  const std::int64_t numel = shape_numel(shape);
  // Checked before multiplying: numel * element size can wrap to a small number (e.g. 2^62 floats -> 0 bytes).
  SPECNET_CHECK(static_cast<std::uint64_t>(numel) <= kMaxAllocBytes / dtype_size(dtype), "refusing to allocate ",
                shape_str(shape), " of ", dtype_name(dtype), " (", numel, " elements; limit ", kMaxAllocBytes, " bytes)");
  impl->storage = std::make_shared<Storage>(static_cast<std::size_t>(numel) * dtype_size(dtype), device);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(impl);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
#ifdef SPECNET_WITH_CUDA
  if (device == Device::cuda) {
    cuda::memset_zero(t.impl().storage->data, t.impl().storage->nbytes);
    return t;
  }
#endif
  // Gradient buffers are zeroed on every backward: split large ones over the threads.
  char* p = static_cast<char*>(t.impl().storage->data);
  const std::int64_t nbytes = static_cast<std::int64_t>(t.impl().storage->nbytes);
  parallel_for(nbytes, 1 << 20, [p](std::int64_t b, std::int64_t e) { std::memset(p + b, 0, e - b); });
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  NoGradGuard g;
  t.fill_(value);
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& shape, DType dtype) {
  SPECNET_CHECK(static_cast<std::int64_t>(v.size()) == shape_numel(shape), "from_vector: ", v.size(),
                " values do not fill shape ", shape_str(shape));
  Tensor t = empty(shape, dtype);
  SPECNET_DISPATCH_FLOAT(dtype, T, {
    T* p = t.data<T>();
    for (std::size_t i = 0; i < v.size(); ++i) p[i] = static_cast<T>(v[i]);
  });
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& shape) {
  SPECNET_CHECK(static_cast<std::int64_t>(v.size()) == shape_numel(shape), "from_vector: ", v.size(),
                " values do not fill shape ", shape_str(shape));
  Tensor t = empty(shape, DType::f32);
  if (!v.empty()) std::memcpy(t.data<float>(), v.data(), v.size() * sizeof(float));
  return t;
}

// Element i takes Philox block (rng.reserve(n) + i), so values do not depend on the thread count.
template <typename F>
static Tensor from_philox_blocks(const Shape& shape, Rng& rng, DType dtype, F value_of_block) {
  Tensor t = Tensor::empty(shape, dtype);
  const std::int64_t n = t.numel();
  const std::uint64_t first = rng.reserve(static_cast<std::uint64_t>(n));
  SPECNET_DISPATCH_FLOAT(dtype, T, {
    T* p = t.data<T>();
    parallel_for(n, 4096, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) p[i] = static_cast<T>(value_of_block(rng.block(first + i)));
    });
  });
  return t;
}

Tensor Tensor::randn(const Shape& shape, Rng& rng, DType dtype) {
  return from_philox_blocks(shape, rng, dtype, [](const auto& blk) { return Rng::normal_from(blk); });
}

Tensor Tensor::rand(const Shape& shape, Rng& rng, double lo, double hi, DType dtype) {
  return from_philox_blocks(shape, rng, dtype, [lo, hi](const auto& blk) {
    return lo + (hi - lo) * (1.0 - Rng::uniform_from(blk));  // [lo, hi)
  });
}

Tensor Tensor::arange(std::int64_t n, DType dtype) {
  Tensor t = empty({n}, dtype);
  SPECNET_DISPATCH_FLOAT(dtype, T, {
    T* p = t.data<T>();
    for (std::int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(i);
  });
  return t;
}

// ---------------------------------------------------------------- metadata
TensorImpl& Tensor::impl() const {
  SPECNET_CHECK(impl_ != nullptr, "use of an undefined (empty) Tensor");
  return *impl_;
}

std::int64_t Tensor::size(std::int64_t d) const {
  const std::int64_t nd = dim();
  if (d < 0) d += nd;
  SPECNET_CHECK(d >= 0 && d < nd, "dimension ", d, " out of range for a tensor of shape ", shape_str(shape()));
  return shape()[d];
}

bool Tensor::is_contiguous() const {
  const auto& s = impl().shape;
  const auto& st = impl().strides;
  std::int64_t expect = 1;
  for (std::int64_t i = static_cast<std::int64_t>(s.size()) - 1; i >= 0; --i) {
    if (s[i] != 1 && st[i] != expect) return false;
    expect *= s[i];
  }
  return true;
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined tensor";
  return str(dtype_name(dtype()), " ", shape_str(shape()), " ", device_name(device()));
}

void* Tensor::raw_data() const {
  auto& im = impl();
  return static_cast<char*>(im.storage->data) + im.offset * static_cast<std::int64_t>(dtype_size(im.dtype));
}

template <typename T>
T* Tensor::data() {
  SPECNET_CHECK(dtype() == dtype_of<T>::value, "data<", dtype_name(dtype_of<T>::value), ">() on a ",
                describe(), " tensor");
  SPECNET_CHECK(device() == Device::cpu, "data() on a ", describe(), " tensor: copy it to the CPU first");
  SPECNET_CHECK(is_contiguous(), "data() on a non-contiguous ", describe(), " tensor: call contiguous()");
  return static_cast<T*>(raw_data());
}
template <typename T>
const T* Tensor::data() const {
  return const_cast<Tensor*>(this)->data<T>();
}
template float* Tensor::data<float>();
template double* Tensor::data<double>();
template const float* Tensor::data<float>() const;
template const double* Tensor::data<double>() const;

template <typename T>
T* Tensor::ptr() {
  SPECNET_CHECK(dtype() == dtype_of<T>::value, "ptr<", dtype_name(dtype_of<T>::value), ">() on a ", describe(),
                " tensor");
  SPECNET_CHECK(is_contiguous(), "ptr() on a non-contiguous ", describe(), " tensor: call contiguous()");
  return static_cast<T*>(raw_data());
}
template <typename T>
const T* Tensor::ptr() const {
  return const_cast<Tensor*>(this)->ptr<T>();
}
template float* Tensor::ptr<float>();
template double* Tensor::ptr<double>();
template const float* Tensor::ptr<float>() const;
template const double* Tensor::ptr<double>() const;

std::vector<double> Tensor::to_vector() const {
  if (device() != Device::cpu) return detach().to(Device::cpu).to_vector();
  std::vector<double> out(static_cast<std::size_t>(numel()));
  SPECNET_DISPATCH_FLOAT(dtype(), T, {
    cpu::strided_copy<double, T>(out.data(), static_cast<const T*>(raw_data()), shape(), strides());
  });
  return out;
}

double Tensor::item() const {
  SPECNET_CHECK(numel() == 1, "item() needs a single-element tensor, got shape ", shape_str(shape()));
  return to_vector()[0];
}

double Tensor::at(const std::vector<std::int64_t>& index) const {
  if (device() != Device::cpu) return detach().to(Device::cpu).at(index);
  SPECNET_CHECK(static_cast<std::int64_t>(index.size()) == dim(), "at(): ", index.size(),
                " indices for a tensor of shape ", shape_str(shape()));
  std::int64_t off = 0;
  for (std::size_t d = 0; d < index.size(); ++d) {
    SPECNET_CHECK(index[d] >= 0 && index[d] < shape()[d], "at(): index ", index[d], " out of range in dim ", d,
                  " of shape ", shape_str(shape()));
    off += index[d] * strides()[d];
  }
  double v = 0;
  SPECNET_DISPATCH_FLOAT(dtype(), T, { v = static_cast<const T*>(raw_data())[off]; });
  return v;
}

// ---------------------------------------------------------------- in-place
static void check_inplace_allowed(const Tensor& t, const char* op) {
  SPECNET_CHECK(!(grad_enabled() && t.requires_grad()), op, ": in-place change of a tensor that requires grad",
                t.impl().name.empty() ? "" : str(" ('", t.impl().name, "')"),
                " would corrupt autodiff; do it inside a NoGradGuard or use an out-of-place op");
}

Tensor& Tensor::fill_(double value) {
  check_inplace_allowed(*this, "fill_");
  if (!is_contiguous()) return copy_(Tensor::full(shape(), value, dtype(), device()));
  SPECNET_DISPATCH_FLOAT(dtype(), T, {
    T* p = static_cast<T*>(raw_data());
    if (device() == Device::cuda) {
#ifdef SPECNET_WITH_CUDA
      cuda::fill<T>(p, numel(), value);
#endif
    } else {
      std::fill(p, p + numel(), static_cast<T>(value));
    }
  });
  impl().storage->version++;
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  check_inplace_allowed(*this, "copy_");
  SPECNET_CHECK(src.shape() == shape(), "copy_: source shape ", shape_str(src.shape()), " != destination ",
                shape_str(shape()));
  // as torch's copy_, the source may live on another device: it is brought over first
  Tensor s = src.detach().to(device()).contiguous();
  SPECNET_DISPATCH_FLOAT(dtype(), TD, {
    SPECNET_DISPATCH_FLOAT(s.dtype(), TS, {
      // the source is contiguous; write through this tensor's own strides (a view may be non-contiguous)
      SPECNET_KERNEL(device(), strided_scatter, static_cast<TD*>(raw_data()), strides(),
                     static_cast<const TS*>(s.raw_data()), shape());
    });
  });
  impl().storage->version++;
  return *this;
}

// ---------------------------------------------------------------- checks
void check_same_shape(const char* op, const Tensor& a, const Tensor& b) {
  SPECNET_CHECK(a.shape() == b.shape(), op, ": shape mismatch ", shape_str(a.shape()), " vs ", shape_str(b.shape()));
}
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b) {
  SPECNET_CHECK(a.dtype() == b.dtype(), op, ": dtype mismatch ", dtype_name(a.dtype()), " vs ",
                dtype_name(b.dtype()), " (cast with .to())");
}
void check_dim(const char* op, const Tensor& t, std::int64_t d, const char* what) {
  SPECNET_CHECK(t.dim() == d, op, ": expected ", what, " with ", d, " dimensions, got shape ", shape_str(t.shape()));
}
void check_same_device(const char* op, const Tensor& a, const Tensor& b) {
  SPECNET_CHECK(a.device() == b.device(), op, ": tensors on different devices: ", device_name(a.device()), " (",
                a.describe(), ") and ", device_name(b.device()), " (", b.describe(), "); move one with .to(Device::",
                device_name(a.device()), ")");
}

void check_cpu(const char* op, const Tensor& t) {
  SPECNET_CHECK(t.device() == Device::cpu, op, ": tensor is on ", device_name(t.device()),
                "; this op has no kernel for that device in this build");
}

}  // namespace specnet
