// Element types, devices and shapes shared by tensors, kernels and checkpoints.
// float32 is the training type; float64 is used for gradient checks and spectral fitting.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "specnet/error.h"

namespace specnet {

enum class DType : std::uint8_t { f32, f64 };
enum class Device : std::uint8_t { cpu, cuda };

using Shape = std::vector<std::int64_t>;

inline std::size_t dtype_size(DType t) { return t == DType::f32 ? 4 : 8; }
inline const char* dtype_name(DType t) { return t == DType::f32 ? "float32" : "float64"; }
inline const char* device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::f32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::f64; };

std::string shape_str(const Shape& s);                 // "(150, 1, 2960)"
std::int64_t shape_numel(const Shape& s);              // product, 1 for a scalar; checks overflow
Shape contiguous_strides(const Shape& s);              // row-major strides in elements

}  // namespace specnet

// Runs the statement with T bound to the C++ type of a floating dtype.
#define SPECNET_DISPATCH_FLOAT(dtype, T, ...)                 \
  do {                                                        \
    switch (dtype) {                                          \
      case ::specnet::DType::f32: { using T = float; __VA_ARGS__; } break;  \
      case ::specnet::DType::f64: { using T = double; __VA_ARGS__; } break; \
    }                                                         \
  } while (0)
