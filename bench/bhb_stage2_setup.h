// Shared fixture of the BHB stage-2 step benchmarks (CPU bench_bhb_step.cpp, GPU bench_cuda_steps.cpp): the paper-002
// network with its decoder frozen and AdamW over encoder + flow, as bhb::train_stage runs stage 2. Peer: bench/peer/bhb_torch.py.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "specnet/bhb/network.h"
#include "specnet/bhb/train.h"
#include "specnet/optim/adam.h"

namespace specnet::bench {

// Mode 0 "npe": flow NLL alone (no reparameterised draw); mode 1 "latent": flow NLL + MSE of one draw to theta.
inline bhb::LossWeights bhb_stage2_weights(std::int64_t mode) {
  bhb::LossWeights w;
  w.reconstruction = 0;
  w.flow = 1;
  w.latent = mode == 0 ? 0 : 1;
  return w;
}
inline const char* bhb_stage2_mode_name(std::int64_t mode) { return mode == 0 ? "npe" : "latent"; }

struct BhbStage2 {
  bhb::NetworkConfig cfg;
  Rng init{1}, data{2}, loss_rng{3};
  bhb::Network net{cfg, init};
  Tensor x, theta;  // (B, 2, L) scaled spectra in [0, 1]; (B, D) z-scored parameters
  bhb::LossWeights weights;
  std::int64_t trainable_parameters = 0;  // encoder + flow
  std::unique_ptr<optim::AdamW> adam;

  BhbStage2(std::int64_t batch, std::int64_t mode, Device device) : weights(bhb_stage2_weights(mode)) {
    net.to(device);  // before AdamW: its moments live with the parameters
    x = Tensor::rand({batch, 2, cfg.bins}, data, 0.0, 1.0).to(device);
    theta = Tensor::randn({batch, cfg.params}, data).to(device);
    const std::vector<optim::ParamGroup> groups = bhb::stage_param_groups(net, 2);  // as bhb::train_stage
    for (const auto& g : groups)
      if (!g.frozen)
        for (const auto& [name, p] : g.params) trainable_parameters += p.numel();
    optim::AdamWOptions o;
    o.lr = 1e-3;
    o.weight_decay = 1e-2;
    adam = std::make_unique<optim::AdamW>(groups, o);
    net.train(true);
    net.decoder->eval();  // frozen: no dropout
  }

  // One training step; returns the loss on the host (so a GPU step is complete when it returns).
  double step() {
    adam->zero_grad();
    Tensor loss = bhb::autoencoder_losses(net, x, theta, loss_rng, weights).total;
    loss.backward();
    adam->step();
    return loss.item();
  }
};

}  // namespace specnet::bench
