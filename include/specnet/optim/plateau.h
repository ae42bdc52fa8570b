// optim::ReduceLROnPlateau: multiplies the learning rates by `factor` once the metric has not improved for
// `patience` steps, with torch.optim.lr_scheduler.ReduceLROnPlateau's exact rules (threshold modes,
// cooldown, per-group min_lr, eps). Frozen groups are left alone.
#pragma once
#include <vector>

#include "specnet/optim/optimizer.h"

namespace specnet::optim {

struct PlateauOptions {
  enum class Mode { min, max };
  enum class ThresholdMode { rel, abs };
  Mode mode = Mode::min;
  double factor = 0.1;
  std::int64_t patience = 10;
  double threshold = 1e-4;
  ThresholdMode threshold_mode = ThresholdMode::rel;
  std::int64_t cooldown = 0;
  std::vector<double> min_lr = {0.0};  // one value for all groups, or one per group
  double eps = 1e-8;
};

class ReduceLROnPlateau {
 public:
  ReduceLROnPlateau(Optimizer& optimizer, PlateauOptions opt = {});
  // One epoch's metric (finite; a NaN or inf metric throws, since it means training diverged).
  void step(double metric);

  double best() const { return best_; }
  std::int64_t num_bad_epochs() const { return num_bad_epochs_; }
  std::int64_t cooldown_counter() const { return cooldown_counter_; }
  std::int64_t last_epoch() const { return last_epoch_; }
  bool in_cooldown() const { return cooldown_counter_ > 0; }

  // "best", "num_bad_epochs", "cooldown_counter", "last_epoch" as float64 scalars.
  NamedTensors state_dict() const;
  void load_state_dict(const NamedTensors& state);

 private:
  bool is_better(double a) const;
  void reduce_lr();

  Optimizer& optimizer_;
  PlateauOptions opt_;
  std::vector<double> min_lrs_;  // per group
  double best_;
  std::int64_t num_bad_epochs_ = 0, cooldown_counter_ = 0, last_epoch_ = 0;
};

}  // namespace specnet::optim
