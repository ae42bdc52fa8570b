// Detection metrics of the IC search (paper 000, Sec. 4): confusion matrices, precision / recall / balanced
// accuracy, the BAcc-maximising threshold, PR / ROC curves, cross-validation folds, empirical p-values.
#pragma once
#include <cstdint>
#include <vector>

namespace specnet::ic {

// Positive class = anomaly (1T+IC). A spectrum is predicted positive when score > threshold.
struct Confusion {
  std::int64_t tp = 0, fp = 0, tn = 0, fn = 0;
  double precision() const;  // tp / (tp + fp); 0 when nothing is predicted positive
  double recall() const;     // tp / (tp + fn) (true-positive rate); 0 without positives
  double specificity() const;  // tn / (tn + fp); 0 without negatives
  double bacc() const;       // (recall + specificity) / 2
};

// scores (N), labels (N, 0 = normal, 1 = anomaly). Errors for mismatched lengths, NaN scores, labels not 0/1.
Confusion confusion(const std::vector<double>& scores, const std::vector<int>& labels, double threshold);
Confusion confusion(const std::vector<int>& predicted, const std::vector<int>& labels);

// The threshold maximising BAcc over all cuts between distinct sorted scores (midpoints; ties in BAcc go to
// the lowest cut). Needs both classes.
struct ThresholdChoice {
  double threshold = 0;
  double bacc = 0;
};
ThresholdChoice best_bacc_threshold(const std::vector<double>& scores, const std::vector<int>& labels);

double median(std::vector<double> values);  // mean of the two middle values for even sizes; Error when empty

// Precision-recall points over every cut (descending score), and the area under the ROC curve (Mann-Whitney,
// ties count one half).
struct CurvePoint {
  double threshold, precision, recall, fpr;
};
std::vector<CurvePoint> pr_curve(const std::vector<double>& scores, const std::vector<int>& labels);
double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels);
double average_precision(const std::vector<double>& scores, const std::vector<int>& labels);

// Fold of each of n items for k-fold cross-validation: a seeded permutation cut into k near-equal folds
// (sizes differ by at most one). Errors unless 2 <= k <= n.
std::vector<int> cv_folds(std::int64_t n, int k, std::uint64_t seed);

// Right-tail empirical p-value of each score against a null sample: (1 + #{null >= s}) / (1 + N_null).
std::vector<double> empirical_p_values(const std::vector<double>& scores, const std::vector<double>& null_scores);

}  // namespace specnet::ic
