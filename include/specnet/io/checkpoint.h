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

// The optimizer state alone (per-parameter moments and step counts) from a checkpoint, to go on training under new
// settings (another set, learning rate or schedule) without restarting the moments: fresh AdamW moments move every
// weight by about lr in its first steps, which sets a trained network back. The optimizer keeps its own learning
// rates and weight decays. Every parameter of a trainable (non-frozen) group must have state in the file, so a
// checkpoint whose trainable parameters differ (another training stage) is refused; names, shapes, dtypes and the
// optimizer type are checked as in load_checkpoint. On error the optimizer is unchanged.
void load_optimizer_moments(const std::string& path, optim::Optimizer& optimizer);

}  // namespace specnet
