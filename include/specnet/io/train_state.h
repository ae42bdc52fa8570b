// Crash-safe training shared by the trainings (IC CAE, BHB flow-autoencoder): a per-epoch checkpoint with the loss
// history, best epoch and a run fingerprint on top of save_checkpoint, exact resume, and the crash-test stop hook.
#pragma once
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "specnet/io/checkpoint.h"

namespace specnet {

// What a training loop needs besides model, optimizer and scheduler to continue bit for bit.
struct TrainState {
  std::int64_t epoch = 0;                        // last finished epoch (0: a fresh run)
  std::vector<std::vector<double>> history;      // (epoch, fields) numbers per finished epoch
  std::int64_t best_epoch = 0;
  double best_val = std::numeric_limits<double>::infinity();
  std::map<std::string, std::uint64_t> rng_offsets;  // the caller's Rng positions
  nn::NamedTensors tensors;                      // the caller's own state (e.g. ParameterEma::state_dict)
  nn::NamedTensors best;                         // weights of the best epoch (filled by load_train_state)
};

// Writes `path` atomically: model, optimizer, scheduler, module RNGs, the state (numbers as exact "%a" text), the
// seed, the fingerprint (what a resumed run must match: data and settings) and `extra` metadata.
void save_train_state(const std::string& path, const nn::Module& model, const optim::Optimizer& optimizer,
                      const optim::ReduceLROnPlateau& scheduler, const TrainState& state, std::uint64_t seed,
                      const std::string& fingerprint, const std::map<std::string, std::string>& extra = {});

// Restores model, optimizer and scheduler from `path` and returns its state, with the best weights read from
// `best_path`. Errors, naming `who` and before anything is changed, for a file that is no training checkpoint
// (or whose history rows do not have `history_fields` numbers), another seed or another fingerprint.
TrainState load_train_state(const std::string& path, const std::string& best_path, nn::Module& model,
                            optim::Optimizer& optimizer, optim::ReduceLROnPlateau& scheduler, std::uint64_t seed,
                            const std::string& fingerprint, std::size_t history_fields, const std::string& who);

// The "model.*" tensors of a checkpoint (e.g. the best weights), names without the prefix.
nn::NamedTensors checkpoint_weights(const std::string& path);

// Wall-clock limit of one training call (`--time-limit`), for batch queues and lent machines that end a job at a
// fixed time: after every epoch the loop asks whether one more epoch, as long as the mean epoch of this call so far,
// would still end inside the limit. If not, it stops there with its per-epoch checkpoint written, and a resume
// continues bit for bit (the limit is no part of a run's fingerprint, so the resumed call may have another one).
class EpochTimeLimit {
 public:
  explicit EpochTimeLimit(double limit_s);  // seconds from now; 0: no limit. Negative or NaN: an Error
  bool another_epoch_fits(std::int64_t epochs_done) const;  // epochs_done: finished in this call (>= 1)

 private:
  double limit_s_;
  std::chrono::steady_clock::time_point t0_;
};

// Crash-test hook of the training loops, called before each batch (epoch and batch 1-based). When the environment
// variable SPECNET_TEST_STOP_AT is "E:B" and names this batch, prints "test hook: stopped at epoch E batch B" on
// stdout, flushes and stops the process (SIGSTOP), so that a test can SIGKILL it at a known point. Unset: nothing.
// A malformed value is an Error.
void test_stop_point(std::int64_t epoch, std::int64_t batch);

}  // namespace specnet
