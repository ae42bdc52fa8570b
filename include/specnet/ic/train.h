// Training of the IC-search CAE / AE as the paper: Adam + ReduceLROnPlateau on the validation loss, loss =
// MSE + weight * L1(latent, labels), best epoch by validation loss, an atomic checkpoint every epoch and an
// exact resume (the run continues bit for bit as if it had never stopped).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "specnet/dtype.h"
#include "specnet/ic/dataset.h"
#include "specnet/nn/ic_cae.h"

namespace specnet::ic {

// What the network trains on: the counts of a set of spectra (in memory or streamed from their file) and their
// scaled labels; the float32 network inputs of a batch are computed from its counts when the batch is gathered.
struct ModelData {
  std::int64_t bins = 0;
  bool log_input = false;
  double exposure_s = 0;
  io::RecordSource counts;    // (N, C >= bins)
  std::vector<float> labels;  // (N, 4) scaled, or empty (spectra without labels)
  std::int64_t size() const { return counts.size(); }
  // x (n, bins): the network inputs of rows[0..n).
  void inputs(const std::int64_t* rows, std::int64_t n, float* x) const;
};
// scaler null: no labels (e.g. the 1T+IC spectra). The first form copies the counts into memory, the second shares
// the source's (streamed ones stay streamed).
ModelData make_model_data(const IcSpectra& s, std::int64_t bins, bool log_input, const LabelScaler* scaler);
ModelData make_model_data(const IcSpectraSource& s, std::int64_t bins, bool log_input, const LabelScaler* scaler);

struct TrainOptions {
  double constraint_weight = 0.1;  // 0: the ordinary AE
  std::int64_t batch = 150;
  std::int64_t epochs = 300;
  double lr = 0.01;
  std::int64_t patience = 10;      // ReduceLROnPlateau
  double factor = 0.1;
  std::uint64_t seed = 0;          // shuffling of epoch e uses Philox stream (seed, e)
  std::string checkpoint;          // "": none; else written every epoch; best weights at checkpoint + ".best"
  bool resume = false;             // continue from `checkpoint` when it exists
  std::string fingerprint;         // data / configuration summary stored in the checkpoint; resume refuses another
  bool progress = true;            // one line per epoch (loss, lr, wall time, ETA) on stdout
  std::string tag = "train";       // prefix of the progress lines
  double time_limit_s = 0;         // wall clock of this call: stop before an epoch that would end past it (0: none;
                                   // EpochTimeLimit in specnet/io/train_state.h); `resume` continues the run
  Device device = Device::cpu;     // the network is moved there before Adam is built; batches follow it
};
// Progress lines (TrainOptions::progress) end with the process's peak RSS; SPECNET_TEST_STOP_AT (see
// specnet/io/train_state.h) stops the process at a given epoch and batch for the crash tests.

struct EpochRecord {
  double train_loss = 0, val_loss = 0, lr = 0, wall_s = 0;
};

struct TrainResult {
  std::vector<EpochRecord> history;  // (epochs)
  std::int64_t best_epoch = 0;       // 1-based
  double best_val_loss = 0;
  double train_s = 0;                // wall time of this call
  double spectra_per_s = 0;          // training spectra (forward + backward + step) per second in this call
  bool stopped_on_time = false;      // TrainOptions::time_limit_s ended it before the last epoch
};

// Trains `net` on rows `train` of `data`, picking the epoch with the lowest validation loss on rows `val`, and
// leaves `net` at that epoch's weights. Errors for empty sets, rows out of range, missing labels for a CAE,
// batch < 1, epochs < 1, lr <= 0, a checkpoint of another network, or a diverged (non-finite) loss.
TrainResult train_ic_model(nn::IcCae& net, const ModelData& data, const std::vector<std::int64_t>& train,
                           const std::vector<std::int64_t>& val, const TrainOptions& options);

// Per-spectrum reconstruction MSE over all bins (the anomaly score Ra) for `rows`, in eval mode, on the device of
// the network's parameters; latent (optional out): (rows, latent).
std::vector<double> anomaly_scores(nn::IcCae& net, const ModelData& data, const std::vector<std::int64_t>& rows,
                                   std::vector<double>* latent = nullptr);

std::vector<std::int64_t> all_rows(std::int64_t n);

}  // namespace specnet::ic
