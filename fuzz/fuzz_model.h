// The small model, optimizer and scheduler that fuzz/make_seeds.cpp checkpoints and fuzz/fuzz_safetensors.cpp
// loads fuzzed checkpoints into (two Linear layers, AdamW, ReduceLROnPlateau, one module Rng).
#pragma once
#include <memory>

#include "specnet/nn/container.h"
#include "specnet/nn/linear.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/plateau.h"

namespace specnet::fuzz {

struct TinyModel : nn::Module {
  std::shared_ptr<nn::Sequential> body;
  Rng noise{1, 1};
  TinyModel() {
    Rng rng(7);
    body = register_module("body", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                                        std::make_shared<nn::Linear>(3, 4, rng), std::make_shared<nn::Linear>(4, 2, rng)}));
    register_rng("noise", &noise);
  }
  Tensor forward(const Tensor& x) override { return body->forward(x); }
  std::string type_name() const override { return "TinyModel"; }
};

// Model + its AdamW + a plateau scheduler, constructed together.
struct TinyTraining {
  TinyModel model;
  optim::AdamW optimizer{model.named_parameters()};
  optim::ReduceLROnPlateau scheduler{optimizer};
};

}  // namespace specnet::fuzz
