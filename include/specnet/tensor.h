// specnet::Tensor: an n-d array of float32/float64 with shape/stride metadata, a device tag and
// reverse-mode autodiff metadata. Semantics follow PyTorch: views share storage, leaves accumulate
// .grad, intermediate gradients are freed once used, in-place changes to saved tensors are detected.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "specnet/dtype.h"
#include "specnet/rng.h"

namespace specnet {

class Tensor;
struct Node;

// Raw bytes on one device; `version` counts in-place writes (for saved-tensor checks).
struct Storage {
  void* data = nullptr;
  std::size_t nbytes = 0;
  Device device = Device::cpu;
  std::uint64_t version = 0;
  Storage(std::size_t nbytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;                // in elements
  std::int64_t offset = 0;      // in elements
  DType dtype = DType::f32;
  bool requires_grad = false;
  bool retains_grad = false;    // keep .grad on a non-leaf after backward
  std::shared_ptr<TensorImpl> grad;
  std::shared_ptr<Node> grad_fn;  // null for leaves
  std::string name;             // optional, for error messages
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation (CPU unless a device is given) ----
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor ones(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor full(const Shape& shape, double value, DType dtype = DType::f32, Device device = Device::cpu);
  static Tensor scalar(double value, DType dtype = DType::f32);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape, DType dtype = DType::f32);
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  // Standard normal / uniform [lo, hi) values: element i uses Philox block (rng.reserve(n) + i).
  static Tensor randn(const Shape& shape, Rng& rng, DType dtype = DType::f32);
  static Tensor rand(const Shape& shape, Rng& rng, double lo = 0.0, double hi = 1.0, DType dtype = DType::f32);
  static Tensor arange(std::int64_t n, DType dtype = DType::f32);

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl().shape; }
  const Shape& strides() const { return impl().strides; }
  std::int64_t dim() const { return static_cast<std::int64_t>(impl().shape.size()); }
  std::int64_t size(std::int64_t d) const;   // negative d counts from the end
  std::int64_t numel() const { return shape_numel(impl().shape); }
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device; }
  bool is_contiguous() const;
  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }
  std::string describe() const;  // "float32 (2, 3) cpu"
  bool is_cuda() const { return device() == Device::cuda; }

  // ---- data access (CPU, contiguous; checks dtype) ----
  template <typename T> T* data();
  template <typename T> const T* data() const;
  // Typed pointer to the first element on the tensor's own device (host memory for cpu, device memory for
  // cuda); checks dtype and contiguity. Kernels receive it through SPECNET_KERNEL (specnet/cuda/dispatch.h).
  // data<T>() stays CPU-only so that dereferencing device memory on the host is caught.
  template <typename T> T* ptr();
  template <typename T> const T* ptr() const;
  void* raw_data() const;  // start of the element at offset, any dtype
  double item() const;     // a single-element tensor's value
  std::vector<double> to_vector() const;  // any layout, row-major order
  double at(const std::vector<std::int64_t>& index) const;

  // ---- layout (autodiff-aware views and copies) ----
  Tensor contiguous() const;
  Tensor reshape(const Shape& shape) const;        // view when contiguous; -1 infers one dim
  Tensor flatten(std::int64_t start_dim = 1) const;
  Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end) const;  // view
  Tensor transpose(std::int64_t d0, std::int64_t d1) const;                    // view
  Tensor unsqueeze(std::int64_t dim) const;
  Tensor squeeze(std::int64_t dim) const;
  Tensor to(DType dtype) const;      // differentiable cast
  Tensor to(Device device) const;   // differentiable copy to another device (itself when already there)
  Tensor clone() const;              // differentiable copy with its own storage
  Tensor detach() const;             // shares storage, no graph

  // ---- in-place (bump the storage version; refused on leaves that require grad unless no_grad) ----
  Tensor& fill_(double value);
  Tensor& copy_(const Tensor& src);  // same shape, any dtype
  Tensor& zero_() { return fill_(0.0); }

  // ---- autodiff ----
  bool requires_grad() const { return impl().requires_grad; }
  Tensor& set_requires_grad(bool on = true);
  bool is_leaf() const { return impl().grad_fn == nullptr; }
  Tensor grad() const;               // undefined Tensor when none
  void zero_grad();                  // drops .grad
  void retain_grad();
  void backward(bool retain_graph = false) const;                  // scalar root, seed 1
  void backward(const Tensor& seed, bool retain_graph = false) const;
  Tensor& set_name(const std::string& n) { impl().name = n; return *this; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Views share storage; result metadata only.
Tensor make_view(const Tensor& base, const Shape& shape, const Shape& strides, std::int64_t offset);

// Checks used by ops: throw specnet::Error naming the op and the offending shapes.
void check_same_shape(const char* op, const Tensor& a, const Tensor& b);
void check_same_dtype(const char* op, const Tensor& a, const Tensor& b);
void check_dim(const char* op, const Tensor& t, std::int64_t dim, const char* what);
void check_cpu(const char* op, const Tensor& t);
// Throws "op: tensors on different devices: cuda (float32 (2, 3) cuda) and cpu (...)" unless a and b share a device.
void check_same_device(const char* op, const Tensor& a, const Tensor& b);

}  // namespace specnet
