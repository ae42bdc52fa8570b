// Detection metrics of the IC search: confusion counts, BAcc threshold scan, PR / ROC curves, CV folds and
// empirical p-values (sklearn's precision_recall_curve / roc_auc_score / balanced_accuracy_score conventions).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "specnet/error.h"
#include "specnet/ic/metrics.h"
#include "specnet/rng.h"

namespace specnet::ic {
namespace {

void check_inputs(const char* what, const std::vector<double>& scores, const std::vector<int>& labels) {
  SPECNET_CHECK(scores.size() == labels.size(), what, ": ", scores.size(), " scores but ", labels.size(), " labels");
  for (std::size_t i = 0; i < scores.size(); ++i) {
    SPECNET_CHECK(!std::isnan(scores[i]), what, ": score ", i, " is NaN");
    SPECNET_CHECK(labels[i] == 0 || labels[i] == 1, what, ": label ", i, " is ", labels[i], ", expected 0 or 1");
  }
}

double ratio(std::int64_t a, std::int64_t b) { return b > 0 ? double(a) / double(b) : 0.0; }

// Indices sorted by descending score (stable, so equal scores keep their order).
std::vector<std::size_t> descending(const std::vector<double>& scores) {
  std::vector<std::size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  return idx;
}

}  // namespace

double Confusion::precision() const { return ratio(tp, tp + fp); }
double Confusion::recall() const { return ratio(tp, tp + fn); }
double Confusion::specificity() const { return ratio(tn, tn + fp); }
double Confusion::bacc() const { return 0.5 * (recall() + specificity()); }

Confusion confusion(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  check_inputs("confusion", scores, labels);
  SPECNET_CHECK(!std::isnan(threshold), "confusion: threshold is NaN");
  std::vector<int> predicted(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) predicted[i] = scores[i] > threshold;
  return confusion(predicted, labels);
}

Confusion confusion(const std::vector<int>& predicted, const std::vector<int>& labels) {
  SPECNET_CHECK(predicted.size() == labels.size(), "confusion: ", predicted.size(), " predictions but ",
                labels.size(), " labels");
  Confusion c;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    SPECNET_CHECK((labels[i] == 0 || labels[i] == 1) && (predicted[i] == 0 || predicted[i] == 1),
                  "confusion: predictions and labels must be 0 or 1 (item ", i, ")");
    if (labels[i]) (predicted[i] ? c.tp : c.fn)++;
    else (predicted[i] ? c.fp : c.tn)++;
  }
  return c;
}

ThresholdChoice best_bacc_threshold(const std::vector<double>& scores, const std::vector<int>& labels) {
  check_inputs("best_bacc_threshold", scores, labels);
  const std::int64_t pos = std::count(labels.begin(), labels.end(), 1), neg = std::int64_t(labels.size()) - pos;
  SPECNET_CHECK(pos > 0 && neg > 0, "best_bacc_threshold: needs both classes, got ", pos, " anomalies and ", neg,
                " normal spectra");
  std::vector<std::size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Cut below everything: all predicted positive (recall 1, specificity 0).
  ThresholdChoice best{scores[idx[0]] - 1.0 - std::fabs(scores[idx[0]]), 0.5};
  std::int64_t tn = 0, fn = 0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    (labels[idx[k]] ? fn : tn)++;
    if (k + 1 < idx.size() && scores[idx[k + 1]] == scores[idx[k]]) continue;  // cut only between distinct scores
    const double bacc = 0.5 * (double(pos - fn) / pos + double(tn) / neg);
    if (bacc > best.bacc) {
      const double hi = k + 1 < idx.size() ? scores[idx[k + 1]] : scores[idx[k]] + 1.0 + std::fabs(scores[idx[k]]);
      best = {0.5 * (scores[idx[k]] + hi), bacc};
    }
  }
  return best;
}

double median(std::vector<double> v) {
  SPECNET_CHECK(!v.empty(), "median: no values");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<CurvePoint> pr_curve(const std::vector<double>& scores, const std::vector<int>& labels) {
  check_inputs("pr_curve", scores, labels);
  const std::int64_t pos = std::count(labels.begin(), labels.end(), 1), neg = std::int64_t(labels.size()) - pos;
  SPECNET_CHECK(pos > 0 && neg > 0, "pr_curve: needs both classes");
  const auto idx = descending(scores);
  std::vector<CurvePoint> out;
  std::int64_t tp = 0, fp = 0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    (labels[idx[k]] ? tp : fp)++;
    if (k + 1 < idx.size() && scores[idx[k + 1]] == scores[idx[k]]) continue;
    out.push_back({scores[idx[k]], ratio(tp, tp + fp), double(tp) / pos, double(fp) / neg});
  }
  return out;
}

double average_precision(const std::vector<double>& scores, const std::vector<int>& labels) {
  double ap = 0, prev_recall = 0;
  for (const auto& p : pr_curve(scores, labels)) {
    ap += (p.recall - prev_recall) * p.precision;
    prev_recall = p.recall;
  }
  return ap;
}

double roc_auc(const std::vector<double>& scores, const std::vector<int>& labels) {
  check_inputs("roc_auc", scores, labels);
  // Rank-sum with average ranks for ties.
  std::vector<std::size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double rank_sum = 0;
  std::int64_t pos = 0;
  for (std::size_t k = 0; k < idx.size();) {
    std::size_t j = k;
    while (j + 1 < idx.size() && scores[idx[j + 1]] == scores[idx[k]]) ++j;
    const double rank = 0.5 * double(k + j) + 1.0;
    for (std::size_t m = k; m <= j; ++m)
      if (labels[idx[m]]) rank_sum += rank, ++pos;
    k = j + 1;
  }
  const std::int64_t neg = std::int64_t(labels.size()) - pos;
  SPECNET_CHECK(pos > 0 && neg > 0, "roc_auc: needs both classes");
  return (rank_sum - 0.5 * double(pos) * double(pos + 1)) / (double(pos) * double(neg));
}

std::vector<int> cv_folds(std::int64_t n, int k, std::uint64_t seed) {
  SPECNET_CHECK(k >= 2 && n >= k, "cv_folds: need 2 <= folds <= items, got ", k, " folds for ", n, " items");
  // Fisher-Yates with Philox draws: item perm[i] goes to fold i * k / n.
  std::vector<std::int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  Rng rng(seed, 0x1cf01d);
  for (std::int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<std::int64_t>(rng.uniform() * double(i + 1) - 1e-12);
    std::swap(perm[i], perm[std::clamp<std::int64_t>(j, 0, i)]);
  }
  std::vector<int> fold(n);
  for (std::int64_t i = 0; i < n; ++i) fold[perm[i]] = static_cast<int>(i * k / n);
  return fold;
}

std::vector<double> empirical_p_values(const std::vector<double>& scores, const std::vector<double>& null_scores) {
  SPECNET_CHECK(!null_scores.empty(), "empirical_p_values: empty null sample");
  std::vector<double> null(null_scores);
  for (double v : null) SPECNET_CHECK(!std::isnan(v), "empirical_p_values: NaN in the null sample");
  std::sort(null.begin(), null.end());
  std::vector<double> p(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    SPECNET_CHECK(!std::isnan(scores[i]), "empirical_p_values: score ", i, " is NaN");
    const auto at_least = null.end() - std::lower_bound(null.begin(), null.end(), scores[i]);
    p[i] = double(1 + at_least) / double(1 + null.size());
  }
  return p;
}

}  // namespace specnet::ic
