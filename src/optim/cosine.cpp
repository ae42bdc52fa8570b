// optim::CosineAnnealingLR (see the header for how it relates to torch's).
#include "specnet/optim/cosine.h"

#include <cmath>

namespace specnet::optim {

double cosine_annealing_lr(double base_lr, double eta_min, std::int64_t epoch, std::int64_t t_max) {
  SPECNET_CHECK(t_max >= 1 && epoch >= 0, "cosine_annealing_lr: need t_max >= 1 and epoch >= 0, got ", t_max, " and ",
                epoch);
  if (epoch >= t_max) return eta_min;
  const double pi = 3.14159265358979323846;
  return eta_min + (base_lr - eta_min) * (1.0 + std::cos(pi * double(epoch) / double(t_max))) / 2.0;
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : optimizer_(optimizer), t_max_(t_max), eta_min_(eta_min) {
  SPECNET_CHECK(t_max >= 1, "CosineAnnealingLR: t_max must be >= 1 epoch, got ", t_max);
  SPECNET_CHECK(std::isfinite(eta_min) && eta_min >= 0, "CosineAnnealingLR: invalid eta_min ", eta_min);
  for (std::size_t i = 0; i < optimizer.num_groups(); ++i) base_lrs_.push_back(optimizer.group(i).lr);
}

void CosineAnnealingLR::step() {
  ++last_epoch_;
  apply();
}

void CosineAnnealingLR::set_last_epoch(std::int64_t e) {
  SPECNET_CHECK(e >= 0, "CosineAnnealingLR: epoch must be >= 0, got ", e);
  last_epoch_ = e;
  apply();
}

void CosineAnnealingLR::apply() {
  for (std::size_t i = 0; i < optimizer_.num_groups(); ++i) {
    Group& g = optimizer_.group(i);
    if (!g.frozen) g.lr = cosine_annealing_lr(base_lrs_[i], eta_min_, last_epoch_, t_max_);
  }
}

}  // namespace specnet::optim
