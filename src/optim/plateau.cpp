// optim::ReduceLROnPlateau, a line-by-line port of torch.optim.lr_scheduler.ReduceLROnPlateau: is_better per
// mode/threshold_mode, the cooldown resetting the bad-epoch count, and reductions smaller than eps ignored.
#include "specnet/optim/plateau.h"

#include <cmath>
#include <limits>
#include <map>

namespace specnet::optim {

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, PlateauOptions opt) : optimizer_(optimizer), opt_(opt) {
  SPECNET_CHECK(opt.factor < 1.0 && opt.factor >= 0, "ReduceLROnPlateau: factor must be in [0, 1), got ", opt.factor);
  SPECNET_CHECK(opt.patience >= 0 && opt.cooldown >= 0, "ReduceLROnPlateau: patience and cooldown must be >= 0");
  SPECNET_CHECK(std::isfinite(opt.threshold) && opt.threshold >= 0, "ReduceLROnPlateau: invalid threshold ",
                opt.threshold);
  SPECNET_CHECK(std::isfinite(opt.eps) && opt.eps >= 0, "ReduceLROnPlateau: invalid eps ", opt.eps);
  const std::size_t ng = optimizer.num_groups();
  SPECNET_CHECK(opt.min_lr.size() == 1 || opt.min_lr.size() == ng, "ReduceLROnPlateau: expected 1 or ", ng,
                " min_lr values, got ", opt.min_lr.size());
  for (std::size_t i = 0; i < ng; ++i) {
    double m = opt.min_lr.size() == 1 ? opt.min_lr[0] : opt.min_lr[i];
    SPECNET_CHECK(std::isfinite(m) && m >= 0, "ReduceLROnPlateau: invalid min_lr ", m);
    min_lrs_.push_back(m);
  }
  // mode_worse: the initial best that any metric improves on.
  best_ = opt.mode == PlateauOptions::Mode::min ? std::numeric_limits<double>::infinity()
                                                : -std::numeric_limits<double>::infinity();
}

bool ReduceLROnPlateau::is_better(double a) const {
  using M = PlateauOptions::Mode;
  using TM = PlateauOptions::ThresholdMode;
  const double t = opt_.threshold;
  if (opt_.mode == M::min) return opt_.threshold_mode == TM::rel ? a < best_ * (1.0 - t) : a < best_ - t;
  return opt_.threshold_mode == TM::rel ? a > best_ * (t + 1.0) : a > best_ + t;
}

void ReduceLROnPlateau::reduce_lr() {
  for (std::size_t i = 0; i < optimizer_.num_groups(); ++i) {
    Group& g = optimizer_.group(i);
    if (g.frozen) continue;
    const double new_lr = std::max(g.lr * opt_.factor, min_lrs_[i]);
    if (g.lr - new_lr > opt_.eps) g.lr = new_lr;
  }
}

void ReduceLROnPlateau::step(double metric) {
  SPECNET_CHECK(std::isfinite(metric), "ReduceLROnPlateau.step: metric is ", metric,
                " (training diverged?); the scheduler needs a finite value");
  ++last_epoch_;
  if (is_better(metric)) {
    best_ = metric;
    num_bad_epochs_ = 0;
  } else {
    ++num_bad_epochs_;
  }
  if (in_cooldown()) {
    --cooldown_counter_;
    num_bad_epochs_ = 0;  // ignore any bad epochs in cooldown
  }
  if (num_bad_epochs_ > opt_.patience) {
    reduce_lr();
    cooldown_counter_ = opt_.cooldown;
    num_bad_epochs_ = 0;
  }
}

NamedTensors ReduceLROnPlateau::state_dict() const {
  return {{"best", Tensor::scalar(best_, DType::f64)},
          {"num_bad_epochs", Tensor::scalar(static_cast<double>(num_bad_epochs_), DType::f64)},
          {"cooldown_counter", Tensor::scalar(static_cast<double>(cooldown_counter_), DType::f64)},
          {"last_epoch", Tensor::scalar(static_cast<double>(last_epoch_), DType::f64)}};
}

void ReduceLROnPlateau::load_state_dict(const NamedTensors& state) {
  std::map<std::string, double> v;
  for (const auto& [name, t] : state) {
    SPECNET_CHECK(name == "best" || name == "num_bad_epochs" || name == "cooldown_counter" || name == "last_epoch",
                  "ReduceLROnPlateau.load_state_dict: unexpected entry '", name, "'");
    SPECNET_CHECK(t.numel() == 1, "ReduceLROnPlateau.load_state_dict: '", name, "' must be a scalar, got ",
                  shape_str(t.shape()));
    SPECNET_CHECK(v.emplace(name, t.item()).second, "ReduceLROnPlateau.load_state_dict: '", name, "' appears twice");
  }
  auto count = [&](const char* name) {
    auto it = v.find(name);
    SPECNET_CHECK(it != v.end(), "ReduceLROnPlateau.load_state_dict: missing '", name, "'");
    SPECNET_CHECK(it->second >= 0 && it->second == std::floor(it->second) && it->second < 9.0e15,
                  "ReduceLROnPlateau.load_state_dict: '", name, "' = ", it->second, " is not a count");
    return static_cast<std::int64_t>(it->second);
  };
  auto it = v.find("best");
  SPECNET_CHECK(it != v.end(), "ReduceLROnPlateau.load_state_dict: missing 'best'");
  SPECNET_CHECK(!std::isnan(it->second), "ReduceLROnPlateau.load_state_dict: 'best' is NaN");
  const std::int64_t bad = count("num_bad_epochs"), cool = count("cooldown_counter"), last = count("last_epoch");
  best_ = it->second;  // may be +-inf before the first step
  num_bad_epochs_ = bad;
  cooldown_counter_ = cool;
  last_epoch_ = last;
}

}  // namespace specnet::optim
