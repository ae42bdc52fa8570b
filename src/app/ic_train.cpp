// IC-search CAE / AE training loop (the public iccae train.py: Adam, ReduceLROnPlateau on the validation loss,
// best epoch kept) with per-epoch atomic checkpoints and exact resume, plus Ra scoring.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>

#include "specnet/autograd.h"
#include "specnet/cuda/runtime.h"
#include "specnet/error.h"
#include "specnet/ic/train.h"
#include "specnet/io/train_state.h"
#include "specnet/ops.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/plateau.h"
#include "specnet/sim/resources.h"

namespace specnet::ic {
namespace {

constexpr std::int64_t kEvalBatch = 256;

// Batch tensors of rows[b0, b1) on `device` (built on the CPU, then copied): x (B, 1, E), labels (B, 4).
void gather(const ModelData& d, const std::vector<std::int64_t>& rows, std::size_t b0, std::size_t b1, Device device,
            Tensor& x, Tensor& y) {
  const std::int64_t B = std::int64_t(b1 - b0);
  x = Tensor::empty({B, 1, d.bins});
  d.inputs(rows.data() + b0, B, x.data<float>());
  if (!d.labels.empty()) {
    y = Tensor::empty({B, kNumLabels});
    float* yp = y.data<float>();
    for (std::int64_t b = 0; b < B; ++b) std::copy_n(d.labels.data() + rows[b0 + b] * kNumLabels, kNumLabels, yp + b * kNumLabels);
    y = y.to(device);
  }
  x = x.to(device);
}

// Mean loss per spectrum over `rows` in eval mode.
double evaluate_loss(nn::IcCae& net, const ModelData& d, const std::vector<std::int64_t>& rows, double weight) {
  NoGradGuard ng;
  net.eval();
  const Device device = net.device();
  double total = 0;
  for (std::size_t b0 = 0; b0 < rows.size(); b0 += kEvalBatch) {
    const std::size_t b1 = std::min(rows.size(), b0 + kEvalBatch);
    Tensor x, y;
    gather(d, rows, b0, b1, device, x, y);
    const auto out = net.run(x);
    Tensor loss = weight > 0 ? nn::ic_cae_loss(out, x, y, weight) : mse_loss(out.reconstruction, x);
    total += loss.item() * double(b1 - b0);
  }
  net.train();
  return total / double(rows.size());
}

void check_rows(const ModelData& d, const std::vector<std::int64_t>& rows, const char* what) {
  SPECNET_CHECK(!rows.empty(), "train_ic_model: the ", what, " set is empty");
  for (auto r : rows) SPECNET_CHECK(r >= 0 && r < d.size(), "train_ic_model: ", what, " row ", r, " out of range");
}

}  // namespace

std::vector<std::int64_t> all_rows(std::int64_t n) {
  std::vector<std::int64_t> r(n);
  std::iota(r.begin(), r.end(), 0);
  return r;
}

void ModelData::inputs(const std::int64_t* rows, std::int64_t n, float* x) const {
  const std::int64_t C = counts.width();
  std::vector<float> raw(std::size_t(n * C));  // (n, C)
  counts.gather(rows, n, raw.data());
  for (std::int64_t b = 0; b < n; ++b) network_input(raw.data() + b * C, exposure_s, bins, log_input, x + b * bins);
}

ModelData make_model_data(const IcSpectra& s, std::int64_t bins, bool log_input, const LabelScaler* scaler) {
  return make_model_data(to_source(s), bins, log_input, scaler);  // to_source takes its own copy
}

ModelData make_model_data(const IcSpectraSource& s, std::int64_t bins, bool log_input, const LabelScaler* scaler) {
  SPECNET_CHECK(bins > 0 && bins <= s.meta.num_channels, "make_model_data: ", bins, " bins but ", s.meta.num_channels,
                " channels stored");
  ModelData d;
  d.bins = bins;
  d.log_input = log_input;
  d.exposure_s = s.meta.exposure_s;
  d.counts = s.counts;
  if (scaler) {
    std::vector<double> raw;
    for (std::int64_t i = 0; i < s.size(); ++i)
      for (double v : raw_labels(s.meta, i)) raw.push_back(v);
    const auto scaled = scaler->transform(raw);
    d.labels.assign(scaled.begin(), scaled.end());
  }
  return d;
}

TrainResult train_ic_model(nn::IcCae& net, const ModelData& d, const std::vector<std::int64_t>& train,
                           const std::vector<std::int64_t>& val, const TrainOptions& o) {
  cuda::require_usable(o.device, "train_ic_model");
  check_rows(d, train, "training");
  check_rows(d, val, "validation");
  SPECNET_CHECK(o.batch >= 1 && o.epochs >= 1 && std::isfinite(o.lr) && o.lr > 0 && o.constraint_weight >= 0,
                "train_ic_model: needs batch >= 1, epochs >= 1, lr > 0 and constraint weight >= 0");
  SPECNET_CHECK(o.constraint_weight == 0 || !d.labels.empty(), "train_ic_model: a CAE (constraint weight > 0) needs labels");
  SPECNET_CHECK(d.bins == net.config().n_bins, "train_ic_model: data has ", d.bins, " bins, the network ",
                net.config().n_bins);
  net.to(o.device);  // before Adam: its state lives with the parameters
  optim::AdamOptions aopt;
  aopt.lr = o.lr;
  optim::Adam adam(net.named_parameters(), aopt);
  optim::PlateauOptions popt;
  popt.patience = o.patience;
  popt.factor = o.factor;
  optim::ReduceLROnPlateau plateau(adam, popt);
  TrainResult res;
  res.best_val_loss = std::numeric_limits<double>::infinity();
  nn::NamedTensors best;  // (cloned) weights of the best epoch
  auto snapshot = [&] {
    best.clear();
    for (const auto& [n, t] : net.state_dict()) best.emplace_back(n, t.detach().clone());
  };
  std::int64_t start = 1;
  const std::string best_path = o.checkpoint + ".best";
  if (o.resume && !o.checkpoint.empty() && std::filesystem::exists(o.checkpoint)) {
    TrainState st = load_train_state(o.checkpoint, best_path, net, adam, plateau, o.seed, o.fingerprint, 4, "train_ic_model");
    for (const auto& h : st.history) res.history.push_back({h[0], h[1], h[2], h[3]});
    res.best_epoch = st.best_epoch;
    res.best_val_loss = st.best_val;
    best = std::move(st.best);
    start = st.epoch + 1;
    if (o.progress) std::printf("%s: resumed from %s after epoch %lld\n", o.tag.c_str(), o.checkpoint.c_str(), (long long)st.epoch);
  }
  d.counts.check_batch(std::max<std::int64_t>(o.batch, kEvalBatch), "train_ic_model");
  const auto t0 = std::chrono::steady_clock::now();
  const EpochTimeLimit time_limit(o.time_limit_s);
  std::int64_t seen = 0;
  double compute_s = 0;
  net.train();
  for (std::int64_t epoch = start; epoch <= o.epochs; ++epoch) {
    const auto te = std::chrono::steady_clock::now();
    // Shuffle: Fisher-Yates from Philox stream (seed, epoch): independent of any earlier epoch, so resume is exact.
    std::vector<std::int64_t> order(train);
    Rng shuffle(o.seed, std::uint64_t(epoch));
    for (std::size_t i = order.size() - 1; i > 0; --i) {
      const auto j = std::min<std::size_t>(i, std::size_t(std::max(0.0, shuffle.uniform() * double(i + 1) - 1e-12)));
      std::swap(order[i], order[j]);
    }
    double total = 0;
    for (std::size_t b0 = 0; b0 < order.size(); b0 += std::size_t(o.batch)) {
      const std::size_t b1 = std::min(order.size(), b0 + std::size_t(o.batch));
      test_stop_point(epoch, std::int64_t(b0) / o.batch + 1);
      Tensor x, y;
      gather(d, order, b0, b1, o.device, x, y);
      const auto out = net.run(x);
      Tensor loss = o.constraint_weight > 0 ? nn::ic_cae_loss(out, x, y, o.constraint_weight)
                                            : mse_loss(out.reconstruction, x);
      adam.zero_grad();
      loss.backward();
      adam.step();
      const double l = loss.item();
      SPECNET_CHECK(std::isfinite(l), "train_ic_model: the loss diverged (", l, ") in epoch ", epoch);
      total += l * double(b1 - b0);
    }
    seen += std::int64_t(order.size());
    compute_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    EpochRecord rec;
    rec.train_loss = total / double(order.size());
    rec.val_loss = evaluate_loss(net, d, val, o.constraint_weight);
    rec.lr = adam.group(0).lr;
    plateau.step(rec.val_loss);
    rec.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    res.history.push_back(rec);
    if (rec.val_loss < res.best_val_loss) {
      res.best_val_loss = rec.val_loss;
      res.best_epoch = epoch;
      snapshot();
      if (!o.checkpoint.empty()) {
        CheckpointInfo bi;
        bi.epoch = epoch;
        bi.seed = o.seed;
        save_checkpoint(best_path, net, nullptr, nullptr, bi);
      }
    }
    if (!o.checkpoint.empty()) {
      TrainState st;
      st.epoch = epoch;
      for (const auto& h : res.history) st.history.push_back({h.train_loss, h.val_loss, h.lr, h.wall_s});
      st.best_epoch = res.best_epoch;
      st.best_val = res.best_val_loss;
      st.rng_offsets["shuffle_stream"] = std::uint64_t(epoch + 1);  // the next epoch's shuffling stream
      save_train_state(o.checkpoint, net, adam, plateau, st, o.seed, o.fingerprint);
    }
    if (o.progress) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double eta = el / double(epoch - start + 1) * double(o.epochs - epoch);
      std::printf("%s: epoch %lld/%lld  loss %.4e  val %.4e  lr %.1e  %.1f s (%.0f spectra/s)  ETA %.0f s  peak RSS %.0f MiB%s\n",
                  o.tag.c_str(), (long long)epoch, (long long)o.epochs, rec.train_loss, rec.val_loss, rec.lr,
                  rec.wall_s, double(order.size()) / rec.wall_s, eta, sim::peak_rss_mb(), res.best_epoch == epoch ? "  *" : "");
      std::fflush(stdout);
    }
    if (epoch < o.epochs && !time_limit.another_epoch_fits(epoch - start + 1)) {
      res.stopped_on_time = true;
      break;
    }
  }
  res.train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  res.spectra_per_s = compute_s > 0 ? double(seen) / compute_s : 0;
  if (!best.empty()) net.load_state_dict(best);
  return res;
}

std::vector<double> anomaly_scores(nn::IcCae& net, const ModelData& d, const std::vector<std::int64_t>& rows,
                                   std::vector<double>* latent) {
  for (auto r : rows) SPECNET_CHECK(r >= 0 && r < d.size(), "anomaly_scores: row ", r, " out of range");
  d.counts.check_batch(kEvalBatch, "anomaly_scores");
  NoGradGuard ng;
  net.eval();
  const Device device = net.device();
  std::vector<double> scores;
  if (latent) latent->clear();
  for (std::size_t b0 = 0; b0 < rows.size(); b0 += kEvalBatch) {
    const std::size_t b1 = std::min(rows.size(), b0 + kEvalBatch);
    Tensor x, y;
    gather(d, rows, b0, b1, device, x, y);
    const auto out = net.run(x);
    for (double v : mean(pow(sub(out.reconstruction, x), 2.0), {1, 2}).to_vector()) scores.push_back(v);
    if (latent)
      for (double v : out.latent.to_vector()) latent->push_back(v);
  }
  net.train();
  return scores;
}

}  // namespace specnet::ic
