// Training of the spectral-posterior network in the paper's three stages (decoder alone; encoder + flow with the
// decoder frozen; fine-tuning on another labelled set at lr 1e-4) with AdamW, ReduceLROnPlateau and plateau stopping.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/network.h"
#include "specnet/optim/optimizer.h"

namespace specnet::bhb {

// How the learning rate moves between epochs: the paper's ReduceLROnPlateau on the validation loss, or a cosine
// from lr down to min_lr over max_epochs (optim::CosineAnnealingLR; not the paper's), which suits a run with a
// fixed epoch budget and one with --ema-decay, whose smooth validation loss rarely triggers a plateau cut.
enum class LrSchedule { plateau, cosine };
LrSchedule parse_lr_schedule(const std::string& name);  // "plateau" or "cosine" (Error otherwise)

// How a set's spectra become a network's batches: x (n, K, L) and theta (n, P) of the spectra at rows[0..n) of the
// set (indices into it). The Scaling overloads use Scaling::spectra; the residual stage (residual.h) builds its own.
using BatchMaker = std::function<void(const std::int64_t* rows, std::int64_t n, float* x, float* theta)>;

struct TrainOptions {
  int stage = 1;                  // 1 decoder, 2 encoder + flow (decoder frozen), 3 fine-tune encoder + flow
  std::int64_t max_epochs = 400;  // cap
  std::int64_t stop_patience = 30;  // stop after this many epochs without a better validation loss
  double lr = 1e-3;               // the paper: 1e-3 for stages 1-2, 1e-4 for stage 3
  double min_lr = 1e-6;
  double weight_decay = 1e-2;     // AdamW default
  std::int64_t plateau_patience = 10;
  double plateau_factor = 0.5;
  LrSchedule lr_schedule = LrSchedule::plateau;
  std::int64_t batch = 120;
  std::uint64_t seed = 0;         // shuffling, the flow draws of the latent/reconstruction losses
  std::string checkpoint;         // best epoch so far, written atomically; every epoch also to checkpoint + ".last"
                                  // (model, optimizer, scheduler, RNG positions, history: what a resume needs)
  bool resume = false;            // continue from checkpoint + ".last" when it exists (bit for bit)
  std::string init_optimizer;     // a checkpoint whose AdamW moments and step counts this run starts from (with its
                                  // own lr and weight decay; load_optimizer_moments), e.g. the one the network was
                                  // loaded from, to go on training on new spectra or another schedule without the
                                  // setback of fresh moments. Empty: fresh moments. A resume takes the .last file's
                                  // moments instead
  std::string fingerprint;        // the caller's description of data and network; a resume refuses another
  bool progress = true;           // one line per epoch with losses, lr and ETA on stdout
  double ema_decay = 0;           // per-step average of the trainable parameters (optim::ParameterEma; 0: off, as
                                  // the paper). Validation, the scheduler, the best checkpoint and the returned
                                  // network use the averages; training goes on with the live weights
  double time_limit_s = 0;        // wall clock of this call: stop before an epoch that would end past it (0: none;
                                  // EpochTimeLimit in specnet/io/train_state.h). Not part of the run's fingerprint
  LossWeights weights;
  Device device = Device::cpu;    // where the network trains: it is moved there (and stays); batches are built on
                                  // the CPU and copied, so the data never has to fit the device
};

struct EpochRecord {
  std::int64_t epoch = 0;
  double train_loss = 0, val_loss = 0, lr = 0, seconds = 0;
};
struct TrainResult {
  std::vector<EpochRecord> history;
  double best_val = 0;
  std::int64_t best_epoch = 0;
  bool stopped_on_plateau = false;
  bool stopped_on_time = false;  // TrainOptions::time_limit_s ended it; checkpoint + ".last" resumes it
};

// AdamW parameter groups "encoder", "flow", "decoder" (parameter names "<part>.<name>") for a stage: the decoder
// trains in stage 1, encoder and flow in stages 2 and 3. The other groups are frozen and their parameters get
// requires_grad off, the trainable ones on.
std::vector<optim::ParamGroup> stage_param_groups(Network& net, int stage);

// The stage's trainable parameters get requires_grad, all others are frozen (their grads not even computed);
// the decoder runs in eval mode (no dropout) in stages 2 and 3. Returns after the cap or a plateau and leaves the
// network at its best validation weights, on options.device (a clear error first when that is cuda and no GPU is
// usable).
// Progress lines end with the peak RSS; SPECNET_TEST_STOP_AT stops the process at a batch (specnet/io/train_state.h).
TrainResult train_stage(Network& net, const Scaling& scaling, const Dataset& train, const Dataset& val,
                        const TrainOptions& options);
// The same on sets in memory or streamed from their files (open_dataset): bitwise the same results.
TrainResult train_stage(Network& net, const Scaling& scaling, const DatasetSource& train, const DatasetSource& val,
                        const TrainOptions& options);

// train_stage on such batches (K = channels), saving `metadata` in the checkpoints.
TrainResult train_stage(Network& net, const DatasetSource& train, const BatchMaker& train_batches,
                        const DatasetSource& val, const BatchMaker& val_batches, std::int64_t channels,
                        const std::map<std::string, std::string>& metadata, const TrainOptions& options);

// Validation loss of a stage (mean over batches, no graph, eval mode), on the device of the network.
double evaluate_stage(Network& net, const Scaling& scaling, const Dataset& data, int stage, std::int64_t batch,
                      std::uint64_t seed, const LossWeights& w = {});
double evaluate_stage(Network& net, const Scaling& scaling, const DatasetSource& data, int stage, std::int64_t batch,
                      std::uint64_t seed, const LossWeights& w = {});
double evaluate_stage(Network& net, const DatasetSource& data, const BatchMaker& batches, std::int64_t channels,
                      int stage, std::int64_t batch, std::uint64_t seed, const LossWeights& w = {});

// Context vectors (N, C) of a set, batched without a graph. Every batch has the full `batch` shape (the last one
// padded), so a spectrum's context is the same bit for bit whatever the set's size and the thread count.
std::vector<float> encode_all(Network& net, const Scaling& scaling, const Dataset& data, std::int64_t batch = 256);
// The same on batches of N spectra of L bins and K = channels (theta is passed null).
std::vector<float> encode_all(Network& net, const BatchMaker& batches, std::int64_t channels, std::int64_t N,
                              std::int64_t L, std::int64_t batch = 256);

// Network config and scaling to / from checkpoint metadata.
std::map<std::string, std::string> network_metadata(const NetworkConfig& cfg, const Scaling& s, int stage);
NetworkConfig network_config_from(const std::map<std::string, std::string>& m);
// The flow base's entries of that metadata (exact decimal text), written when the base is not the standard normal.
std::map<std::string, std::string> base_metadata(double scale, double df);
// A network saved by train_stage: its config and scaling from the checkpoint metadata, then the weights.
struct LoadedNetwork {
  std::unique_ptr<Network> net;
  Scaling scaling;
  int stage = 0;
  std::int64_t epoch = 0;
  std::map<std::string, std::string> metadata;  // the checkpoint's own entries (without the "user." prefix)
};
LoadedNetwork load_network(const std::string& checkpoint);

}  // namespace specnet::bhb
