// Logistic regression by Newton's method on standardised features (sklearn LogisticRegression, lbfgs/newton-cg
// solvers reach the same optimum): the combined Ra + delta C detector of the IC search.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "specnet/error.h"
#include "specnet/ic/logistic.h"

namespace specnet::ic {

void LogisticCalibrator::fit(const std::vector<double>& x, std::int64_t F, const std::vector<int>& y, double l2,
                             int max_iterations) {
  SPECNET_CHECK(F > 0, "LogisticCalibrator: needs at least one feature");
  SPECNET_CHECK(x.size() == y.size() * std::size_t(F), "LogisticCalibrator: ", x.size(), " feature values for ",
                y.size(), " labels x ", F, " features");
  SPECNET_CHECK(l2 >= 0 && std::isfinite(l2), "LogisticCalibrator: l2 must be finite and >= 0");
  const std::int64_t N = std::int64_t(y.size());
  std::int64_t pos = 0;
  for (std::int64_t i = 0; i < N; ++i) {
    SPECNET_CHECK(y[i] == 0 || y[i] == 1, "LogisticCalibrator: label ", i, " is ", y[i]);
    pos += y[i];
  }
  SPECNET_CHECK(pos > 0 && pos < N, "LogisticCalibrator: needs both classes, got ", pos, " of ", N, " positive");
  for (std::size_t i = 0; i < x.size(); ++i)
    SPECNET_CHECK(std::isfinite(x[i]), "LogisticCalibrator: feature ", i % F, " of row ", i / F, " is not finite");
  f_ = F;
  mean_.assign(F, 0);
  scale_.assign(F, 0);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t j = 0; j < F; ++j) mean_[j] += x[i * F + j] / N;
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t j = 0; j < F; ++j) scale_[j] += std::pow(x[i * F + j] - mean_[j], 2) / N;
  for (auto& s : scale_) s = s > 0 ? std::sqrt(s) : 1.0;
  // Design matrix with a bias column: (N, F + 1).
  Eigen::MatrixXd A(N, F + 1);
  Eigen::VectorXd t(N);
  for (std::int64_t i = 0; i < N; ++i) {
    for (std::int64_t j = 0; j < F; ++j) A(i, j) = (x[i * F + j] - mean_[j]) / scale_[j];
    A(i, F) = 1.0;
    t(i) = y[i];
  }
  Eigen::VectorXd w = Eigen::VectorXd::Zero(F + 1);
  Eigen::VectorXd penalty = Eigen::VectorXd::Constant(F + 1, l2 * N);
  penalty(F) = 0;
  for (int it = 0; it < max_iterations; ++it) {
    const Eigen::VectorXd z = A * w;
    Eigen::VectorXd p(N), s(N);
    for (std::int64_t i = 0; i < N; ++i) {
      p(i) = 1.0 / (1.0 + std::exp(-z(i)));
      s(i) = std::max(p(i) * (1 - p(i)), 1e-12);
    }
    const Eigen::VectorXd grad = A.transpose() * (p - t) + penalty.cwiseProduct(w);
    Eigen::MatrixXd H = A.transpose() * s.asDiagonal() * A;
    H.diagonal() += penalty + Eigen::VectorXd::Constant(F + 1, 1e-9 * N);
    const Eigen::VectorXd step = H.ldlt().solve(grad);
    w -= step;
    if (step.cwiseAbs().maxCoeff() < 1e-10) break;
  }
  weights_.assign(w.data(), w.data() + F);
  bias_ = w(F);
}

std::vector<double> LogisticCalibrator::predict(const std::vector<double>& x) const {
  SPECNET_CHECK(fitted(), "LogisticCalibrator: predict before fit");
  SPECNET_CHECK(x.size() % std::size_t(f_) == 0, "LogisticCalibrator: ", x.size(), " values is not a multiple of ",
                f_, " features");
  std::vector<double> p(x.size() / f_);
  for (std::size_t i = 0; i < p.size(); ++i) {
    double z = bias_;
    for (std::int64_t j = 0; j < f_; ++j) {
      SPECNET_CHECK(std::isfinite(x[i * f_ + j]), "LogisticCalibrator: feature ", j, " of row ", i, " is not finite");
      z += weights_[j] * (x[i * f_ + j] - mean_[j]) / scale_[j];
    }
    p[i] = 1.0 / (1.0 + std::exp(-z));
  }
  return p;
}

}  // namespace specnet::ic
