// The combined IC detector: logistic regression (sklearn LogisticRegression with an L2 penalty, fitted by
// Newton / IRLS) on standardised features such as log Ra and the fit's delta C, giving P(1T+IC | features).
#pragma once
#include <cstdint>
#include <vector>

namespace specnet::ic {

class LogisticCalibrator {
 public:
  // features (N, F) row-major, labels (N) 0/1; l2 penalises the weights (not the bias) of the standardised
  // features. Errors for NaN/inf features, a single class, F = 0 or mismatched sizes. Newton converges in a
  // few steps; it stops at max_iterations.
  void fit(const std::vector<double>& features, std::int64_t num_features, const std::vector<int>& labels,
           double l2 = 1e-3, int max_iterations = 100);
  // P(anomaly) per row of features (N, F).
  std::vector<double> predict(const std::vector<double>& features) const;
  bool fitted() const { return !weights_.empty(); }
  const std::vector<double>& weights() const { return weights_; }  // (F) on standardised features
  double bias() const { return bias_; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& scale() const { return scale_; }

 private:
  std::int64_t f_ = 0;
  std::vector<double> mean_, scale_, weights_;
  double bias_ = 0;
};

}  // namespace specnet::ic
