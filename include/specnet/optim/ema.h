// optim::ParameterEma: an exponential moving average of parameters (Polyak averaging), as PyTorch's
// torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay)) without buffers.
#pragma once
#include <cstdint>

#include "specnet/nn/module.h"

namespace specnet::optim {

// avg, p (n): avg.lerp_(p, weight) with torch's two-sided lerp formula, weight = 1 - decay. CPU reference of
// cuda::ema_update.
template <typename T>
void ema_update(T* avg, const T* p, std::int64_t n, T weight);

// Late in training SGD's iterates wander around a minimum at a distance set by the learning rate; their average
// sits closer to it (in BHB stage 2 an 8-epoch average cut the posterior-median PG-stat threefold,
// docs/results-bhb.md). The first update() copies the parameters, each later one moves the averages by
// (1 - decay) towards them. swap() exchanges averages and live values in place, so that a loop evaluates and saves
// the averaged model and swaps back to train on.
class ParameterEma {
 public:
  // params: the live parameters (their storage is shared, not copied); decay in [0, 1).
  ParameterEma(nn::NamedTensors params, double decay);
  void update();  // after each optimizer step; no autograd graph
  void swap();    // averages <-> live values; Error before the first update()
  double decay() const { return decay_; }
  std::int64_t n_averaged() const { return n_averaged_; }

  // "n_averaged" (float64 scalar, as the optimizers' step; AveragedModel's buffer) and "module.<name>" averages: AveragedModel's state_dict
  // names, so averages import one to one. Empty averages before the first update.
  nn::NamedTensors state_dict() const;
  // Replaces the state; names, shapes and dtypes must match the parameters (Error otherwise, nothing changed).
  void load_state_dict(const nn::NamedTensors& state);

 private:
  nn::NamedTensors params_, avg_;
  double decay_;
  std::int64_t n_averaged_ = 0;
};

}  // namespace specnet::optim
