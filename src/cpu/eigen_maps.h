// Row-major Eigen matrix maps over raw kernel buffers, shared by the GEMM-based CPU kernels (private).
#pragma once
#include <Eigen/Core>

namespace specnet::cpu::detail {

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using MapM = Eigen::Map<Mat<T>>;
template <typename T>
using CMapM = Eigen::Map<const Mat<T>>;

}  // namespace specnet::cpu::detail
