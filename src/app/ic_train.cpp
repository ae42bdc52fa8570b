// IC-search CAE / AE training loop (the public iccae train.py: Adam, ReduceLROnPlateau on the validation loss,
// best epoch kept) with per-epoch atomic checkpoints and exact resume, plus Ra scoring.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <sstream>

#include "specnet/autograd.h"
#include "specnet/cuda/runtime.h"
#include "specnet/error.h"
#include "specnet/ic/train.h"
#include "specnet/io/checkpoint.h"
#include "specnet/ops.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/plateau.h"

namespace specnet::ic {
namespace {

constexpr std::int64_t kEvalBatch = 256;

// Exact text of a double ("%a") so that resumed runs compare bit for bit.
std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}
double unhex(const std::string& s, const char* what) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  SPECNET_CHECK(end && *end == '\0' && !s.empty(), "checkpoint: ", what, " = \"", s, "\" is not a number");
  return v;
}

std::string encode_history(const std::vector<EpochRecord>& h) {
  std::string out;
  for (const auto& e : h) out += hex(e.train_loss) + "," + hex(e.val_loss) + "," + hex(e.lr) + "," + hex(e.wall_s) + ";";
  return out;
}
std::vector<EpochRecord> decode_history(const std::string& s) {
  std::vector<EpochRecord> h;
  std::stringstream ss(s);
  std::string rec;
  while (std::getline(ss, rec, ';')) {
    std::stringstream rs(rec);
    std::string f[4];
    for (auto& x : f) SPECNET_CHECK(static_cast<bool>(std::getline(rs, x, ',')), "checkpoint: malformed history");
    h.push_back({unhex(f[0], "history"), unhex(f[1], "history"), unhex(f[2], "history"), unhex(f[3], "history")});
  }
  return h;
}

// Batch tensors of rows[b0, b1) on `device` (built on the CPU, then copied): x (B, 1, E), labels (B, 4).
void gather(const ModelData& d, const std::vector<std::int64_t>& rows, std::size_t b0, std::size_t b1, Device device,
            Tensor& x, Tensor& y) {
  const std::int64_t B = std::int64_t(b1 - b0), E = d.bins;
  x = Tensor::empty({B, 1, E});
  float* xp = x.data<float>();
  for (std::int64_t b = 0; b < B; ++b) std::copy_n(d.x.data() + rows[b0 + b] * E, E, xp + b * E);
  if (!d.labels.empty()) {
    y = Tensor::empty({B, kNumLabels});
    float* yp = y.data<float>();
    for (std::int64_t b = 0; b < B; ++b) std::copy_n(d.labels.data() + rows[b0 + b] * kNumLabels, kNumLabels, yp + b * kNumLabels);
    y = y.to(device);
  }
  x = x.to(device);
}

// The device of the network's parameters (cpu for a network without any).
Device device_of(const nn::Module& net) {
  const auto params = net.named_parameters();
  return params.empty() ? Device::cpu : params.front().second.device();
}

// Mean loss per spectrum over `rows` in eval mode.
double evaluate_loss(nn::IcCae& net, const ModelData& d, const std::vector<std::int64_t>& rows, double weight) {
  NoGradGuard ng;
  net.eval();
  const Device device = device_of(net);
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

void require_device(Device device, const char* what) {
  SPECNET_CHECK(device == Device::cpu || cuda::cuda_available(), what, ": device cuda is not available: ",
                cuda::device_description());
}

std::vector<std::int64_t> all_rows(std::int64_t n) {
  std::vector<std::int64_t> r(n);
  std::iota(r.begin(), r.end(), 0);
  return r;
}

ModelData make_model_data(const IcSpectra& s, std::int64_t bins, bool log_input, const LabelScaler* scaler) {
  ModelData d;
  d.bins = bins;
  d.x.resize(std::size_t(s.size()) * bins);
  for (std::int64_t i = 0; i < s.size(); ++i) network_input(s, i, bins, log_input, d.x.data() + i * bins);
  if (scaler) {
    std::vector<double> raw;
    for (std::int64_t i = 0; i < s.size(); ++i)
      for (double v : raw_labels(s, i)) raw.push_back(v);
    const auto scaled = scaler->transform(raw);
    d.labels.assign(scaled.begin(), scaled.end());
  }
  return d;
}

TrainResult train_ic_model(nn::IcCae& net, const ModelData& d, const std::vector<std::int64_t>& train,
                           const std::vector<std::int64_t>& val, const TrainOptions& o) {
  require_device(o.device, "train_ic_model");
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
    const CheckpointInfo info = load_checkpoint(o.checkpoint, net, &adam, &plateau);
    SPECNET_CHECK(info.extra.count("history") && info.extra.count("best_epoch") && info.extra.count("best_val"),
                  "train_ic_model: ", o.checkpoint, " is not an IC training checkpoint");
    SPECNET_CHECK(info.extra.count("fingerprint") && info.extra.at("fingerprint") == o.fingerprint, "train_ic_model: ",
                  o.checkpoint, " belongs to another run (data or settings differ: \"",
                  info.extra.count("fingerprint") ? info.extra.at("fingerprint") : "", "\" vs \"", o.fingerprint,
                  "\"); remove it or start fresh");
    SPECNET_CHECK(info.seed == o.seed, "train_ic_model: ", o.checkpoint, " was written with seed ", info.seed,
                  ", this run uses ", o.seed);
    res.history = decode_history(info.extra.at("history"));
    res.best_epoch = std::int64_t(unhex(info.extra.at("best_epoch"), "best_epoch"));
    res.best_val_loss = unhex(info.extra.at("best_val"), "best_val");
    start = info.epoch + 1;
    // Best weights: a copy of the network loaded from the .best file.
    Rng tmp_rng(0, 0);
    nn::IcCae copy(net.config(), tmp_rng);
    load_checkpoint(best_path, copy);
    for (const auto& [n, t] : copy.state_dict()) best.emplace_back(n, t.detach().clone());
    if (o.progress) std::printf("%s: resumed from %s after epoch %lld\n", o.tag.c_str(), o.checkpoint.c_str(), (long long)info.epoch);
  }
  const auto t0 = std::chrono::steady_clock::now();
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
      CheckpointInfo info;
      info.epoch = epoch;
      info.seed = o.seed;
      info.rng_offsets["shuffle_stream"] = std::uint64_t(epoch + 1);  // the next epoch's shuffling stream
      info.extra = {{"history", encode_history(res.history)},
                    {"best_epoch", std::to_string(res.best_epoch)},
                    {"best_val", hex(res.best_val_loss)},
                    {"fingerprint", o.fingerprint}};
      save_checkpoint(o.checkpoint, net, &adam, &plateau, info);
    }
    if (o.progress) {
      const double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const double eta = el / double(epoch - start + 1) * double(o.epochs - epoch);
      std::printf("%s: epoch %lld/%lld  loss %.4e  val %.4e  lr %.1e  %.1f s (%.0f spectra/s)  ETA %.0f s%s\n",
                  o.tag.c_str(), (long long)epoch, (long long)o.epochs, rec.train_loss, rec.val_loss, rec.lr,
                  rec.wall_s, double(order.size()) / rec.wall_s, eta, res.best_epoch == epoch ? "  *" : "");
      std::fflush(stdout);
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
  NoGradGuard ng;
  net.eval();
  const Device device = device_of(net);
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
