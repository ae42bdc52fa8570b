// Training checkpoints: a Module's state_dict, optimizer state, scheduler state, module RNG positions and
// run metadata in one safetensors file (keys "model.*", "optimizer.*", "scheduler.*"), like torch.save of
// {"model": ..., "optimizer": ..., "scheduler": ..., "epoch": ...} but readable by any safetensors reader.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "specnet/nn/module.h"
#include "specnet/optim/optimizer.h"
#include "specnet/optim/plateau.h"

namespace specnet {

struct CheckpointInfo {
  std::int64_t epoch = 0;
  std::uint64_t seed = 0;
  std::map<std::string, std::uint64_t> rng_offsets;  // caller-owned Rng positions (e.g. the data shuffler)
  std::map<std::string, std::string> extra;          // free-form user metadata
  nn::NamedTensors tensors;                          // the caller's own state (e.g. parameter averages), "extra.*"
};

// Writes atomically (see save_safetensors). optimizer / scheduler may be null.
void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer* optimizer,
                     const optim::ReduceLROnPlateau* scheduler, const CheckpointInfo& info);

// Restores everything that is passed (non-null) and returns the metadata. Names, shapes and dtypes are
// checked (strict load_state_dict); a missing optimizer/scheduler section that was asked for, a different
// optimizer type or module RNG set is an Error. On any error model, optimizer and scheduler are unchanged.
CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* optimizer = nullptr,
                               optim::ReduceLROnPlateau* scheduler = nullptr);

}  // namespace specnet
