// optim::CosineAnnealingLR: lr(e) = eta_min + (base_lr - eta_min) (1 + cos(pi e / t_max)) / 2 after epoch e, the
// closed form of torch.optim.lr_scheduler.CosineAnnealingLR (what torch computes for step(epoch)). For e >= t_max
// the lr stays at eta_min, where torch's cosine would climb again: a schedule planned for a fixed epoch budget.
// Frozen groups are left alone. Since the lr is a function of the epoch alone, a resumed run only needs the
// epoch (set_last_epoch), and resumes bit for bit.
#pragma once
#include <vector>

#include "specnet/optim/optimizer.h"

namespace specnet::optim {

// The learning rate after `epoch` steps of a cosine from base_lr (epoch 0) to eta_min (epoch t_max and later).
double cosine_annealing_lr(double base_lr, double eta_min, std::int64_t epoch, std::int64_t t_max);

class CosineAnnealingLR {
 public:
  // The groups' current lr are the base lrs (torch's initial_lr); needs t_max >= 1 and a finite eta_min >= 0.
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);
  void step();                          // one epoch done: sets every non-frozen group's lr
  void set_last_epoch(std::int64_t e);  // a resumed run: the lr after epoch e
  std::int64_t last_epoch() const { return last_epoch_; }

 private:
  void apply();

  Optimizer& optimizer_;
  std::int64_t t_max_;
  double eta_min_;
  std::vector<double> base_lrs_;  // per group
  std::int64_t last_epoch_ = 0;
};

}  // namespace specnet::optim
