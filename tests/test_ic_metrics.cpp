// Tests of the IC-search detection metrics against hand-computed values: confusion matrices, precision / recall /
// BAcc, the BAcc-maximising threshold, ROC AUC, CV folds, empirical p-values and the logistic combined detector.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "specnet/error.h"
#include "specnet/ic/logistic.h"
#include "specnet/ic/metrics.h"
#include "specnet/ic/pipeline.h"
#include "specnet/rng.h"

using namespace specnet;
using namespace specnet::ic;

TEST_CASE("ic metrics: confusion matrix, precision, recall and BAcc by hand") {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8, 0.2, 0.9};
  const std::vector<int> y = {0, 0, 1, 1, 1, 0};
  // threshold 0.3: predicted 0,1,1,1,0,1 -> TP 2 (0.35, 0.8), FN 1 (0.2), FP 2 (0.4, 0.9), TN 1 (0.1)
  const Confusion c = confusion(s, y, 0.3);
  CHECK(c.tp == 2);
  CHECK(c.fn == 1);
  CHECK(c.fp == 2);
  CHECK(c.tn == 1);
  CHECK(c.precision() == doctest::Approx(0.5));
  CHECK(c.recall() == doctest::Approx(2.0 / 3.0));
  CHECK(c.specificity() == doctest::Approx(1.0 / 3.0));
  CHECK(c.bacc() == doctest::Approx(0.5));
  // score == threshold is not flagged (strictly greater, as "Ra above the threshold")
  CHECK(confusion({0.3}, {1}, 0.3).fn == 1);
  // nothing predicted positive: precision 0 by convention
  CHECK(confusion(s, y, 10.0).precision() == 0.0);
  CHECK(confusion(std::vector<int>{1, 0, 1}, std::vector<int>{1, 1, 0}).tp == 1);
  CHECK_THROWS_WITH(confusion(s, {0, 1}, 0.3), doctest::Contains("6 scores but 2 labels"));
  CHECK_THROWS_WITH(confusion({std::nan("")}, {0}, 0.3), doctest::Contains("is NaN"));
  CHECK_THROWS_WITH(confusion({0.1}, {2}, 0.3), doctest::Contains("expected 0 or 1"));
}

TEST_CASE("ic metrics: the BAcc-maximising threshold") {
  // sorted: 0.1(0) 0.35(1) 0.4(0) 0.8(1): cut after 0.1 -> BAcc (1 + 0.5)/2 = 0.75 at (0.1 + 0.35)/2; the tie at
  // 0.75 after 0.4 keeps the lower cut.
  const ThresholdChoice t = best_bacc_threshold({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
  CHECK(t.threshold == doctest::Approx(0.225));
  CHECK(t.bacc == doctest::Approx(0.75));
  CHECK(confusion({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}, t.threshold).bacc() == doctest::Approx(t.bacc));
  // perfectly separable: the cut lies between the classes and BAcc is 1
  const ThresholdChoice p = best_bacc_threshold({1, 2, 3, 10, 11}, {0, 0, 0, 1, 1});
  CHECK(p.threshold == doctest::Approx(6.5));
  CHECK(p.bacc == 1.0);
  // tied scores across classes are never split
  // (after 1: BAcc 0.75; after both 2s: (2/3 + 1)/2; a cut between the two 2s would give 1 but is not allowed)
  const ThresholdChoice tie = best_bacc_threshold({1, 2, 2, 3, 4}, {0, 0, 1, 1, 1});
  CHECK(tie.threshold == doctest::Approx(2.5));
  CHECK(tie.bacc == doctest::Approx(5.0 / 6.0));
  // inverted scores: no cut beats flagging everything (BAcc 0.5), threshold below all scores
  const ThresholdChoice inv = best_bacc_threshold({5, 6, 1, 2}, {0, 0, 1, 1});
  CHECK(inv.bacc == 0.5);
  CHECK(inv.threshold < 1);
  CHECK_THROWS_WITH(best_bacc_threshold({1, 2}, {0, 0}), doctest::Contains("needs both classes"));
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == 2.5);
  CHECK_THROWS_WITH(median({}), doctest::Contains("no values"));
}

TEST_CASE("ic metrics: ROC AUC, PR curve and average precision by hand") {
  const std::vector<double> s = {0.1, 0.4, 0.35, 0.8};
  const std::vector<int> y = {0, 0, 1, 1};
  // pairs (pos > neg): 0.35>0.1, 0.8>0.1, 0.8>0.4 -> 3 of 4
  CHECK(roc_auc(s, y) == doctest::Approx(0.75));
  CHECK(roc_auc({1, 1}, {0, 1}) == doctest::Approx(0.5));  // ties count one half
  const auto pr = pr_curve(s, y);
  REQUIRE(pr.size() == 4);
  CHECK(pr[0].precision == 1.0);  // 0.8 alone
  CHECK(pr[0].recall == 0.5);
  CHECK(pr[1].precision == doctest::Approx(0.5));  // + 0.4
  CHECK(pr[2].precision == doctest::Approx(2.0 / 3.0));  // + 0.35
  CHECK(pr[2].recall == 1.0);
  // AP = 0.5 * 1 + 0 * 0.5 + 0.5 * 2/3
  CHECK(average_precision(s, y) == doctest::Approx(0.5 + 1.0 / 3.0));
}

TEST_CASE("ic metrics: CV folds partition the items into near-equal seeded folds") {
  const auto f = cv_folds(103, 10, 5);
  REQUIRE(f.size() == 103);
  std::vector<int> size(10, 0);
  for (int k : f) {
    REQUIRE(k >= 0);
    REQUIRE(k < 10);
    ++size[k];
  }
  CHECK(*std::max_element(size.begin(), size.end()) - *std::min_element(size.begin(), size.end()) <= 1);
  CHECK(cv_folds(103, 10, 5) == f);
  CHECK(cv_folds(103, 10, 6) != f);
  // not simply contiguous blocks: the first ten items do not all share a fold
  CHECK(std::set<int>(f.begin(), f.begin() + 10).size() > 1);
  CHECK_THROWS_WITH(cv_folds(5, 10, 0), doctest::Contains("folds <= items"));
  CHECK_THROWS_WITH(cv_folds(5, 1, 0), doctest::Contains("need 2 <= folds"));
}

TEST_CASE("ic metrics: empirical p-values against a null sample") {
  const auto p = empirical_p_values({2.5, 5, 0, 3}, {1, 2, 3, 4});
  CHECK(p[0] == doctest::Approx(3.0 / 5.0));  // null >= 2.5: 3, 4
  CHECK(p[1] == doctest::Approx(1.0 / 5.0));
  CHECK(p[2] == doctest::Approx(1.0));
  CHECK(p[3] == doctest::Approx(3.0 / 5.0));  // ties count as at least as extreme
  CHECK_THROWS_WITH(empirical_p_values({1}, {}), doctest::Contains("empty null"));
  // under the null the p-values are uniform: P(p <= 0.1) ~ 0.1
  Rng rng(3, 0);
  std::vector<double> null(4000), draws(4000);
  for (auto& v : null) v = rng.normal();
  for (auto& v : draws) v = rng.normal();
  const auto pv = empirical_p_values(draws, null);
  const double frac = double(std::count_if(pv.begin(), pv.end(), [](double x) { return x <= 0.1; })) / pv.size();
  CHECK(frac == doctest::Approx(0.1).scale(0).epsilon(0.2));
}

TEST_CASE("ic metrics: the logistic combined detector recovers a known model") {
  // y ~ Bernoulli(sigmoid(2 a - b + 0.5)) with a, b standard normal: the fitted probabilities match the truth.
  Rng rng(11, 0);
  const int n = 20000;
  std::vector<double> x(2 * n);
  std::vector<int> y(n);
  std::vector<double> truth(n);
  for (int i = 0; i < n; ++i) {
    x[2 * i] = rng.normal();
    x[2 * i + 1] = 3.0 * rng.normal() + 1.0;  // standardisation must undo the scale
    truth[i] = 1.0 / (1.0 + std::exp(-(2 * x[2 * i] - (x[2 * i + 1] - 1.0) / 3.0 + 0.5)));
    y[i] = rng.uniform() < truth[i];
  }
  LogisticCalibrator c;
  c.fit(x, 2, y, 0.0);
  const auto p = c.predict(x);
  double worst = 0;
  for (int i = 0; i < n; ++i) worst = std::max(worst, std::fabs(p[i] - truth[i]));
  CHECK(worst < 0.06);
  CHECK(c.weights()[0] == doctest::Approx(2.0).epsilon(0.08));
  CHECK(c.weights()[1] == doctest::Approx(-1.0).epsilon(0.08));
  // a combined detector of two informative features beats each alone in AUC
  std::vector<double> a(n), b(n);
  for (int i = 0; i < n; ++i) a[i] = x[2 * i], b[i] = -x[2 * i + 1];
  CHECK(roc_auc(p, y) > roc_auc(a, y));
  CHECK(roc_auc(p, y) > roc_auc(b, y));
  CHECK_THROWS_WITH(c.fit({1, 2}, 1, {1, 1}), doctest::Contains("needs both classes"));
  CHECK_THROWS_WITH(c.fit({1, std::nan("")}, 1, {0, 1}), doctest::Contains("not finite"));
  CHECK_THROWS_WITH(LogisticCalibrator().predict({1.0}), doctest::Contains("predict before fit"));
  // the pipeline's features: log10 Ra and the signed log of -delta C (IC-like = large)
  const auto f = combined_features(1e-3, -99.0);
  CHECK(f[0] == doctest::Approx(-3.0));
  CHECK(f[1] == doctest::Approx(std::log(100.0)));
  CHECK(combined_features(1e-3, 99.0)[1] == doctest::Approx(-std::log(100.0)));
  CHECK_THROWS_WITH(combined_features(0.0, 1.0), doctest::Contains("Ra > 0"));
}
