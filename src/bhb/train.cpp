// Three-stage training of the flow-autoencoder (paper 002, fspnet train_NF.py's schedule): AdamW at 1e-3 (1e-4 for
// fine-tuning), ReduceLROnPlateau down to 1e-6, stop on a 30-epoch plateau, cap 400 epochs, atomic best checkpoints.
#include "specnet/bhb/train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <numeric>
#include <sstream>

#include "specnet/autograd.h"
#include "specnet/context.h"
#include "specnet/cuda/runtime.h"
#include "specnet/io/checkpoint.h"
#include "specnet/io/train_state.h"
#include "specnet/io/safetensors.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/ema.h"
#include "specnet/optim/cosine.h"
#include "specnet/optim/plateau.h"
#include "specnet/sim/resources.h"

namespace specnet::bhb {
namespace {

constexpr std::int64_t kEvalBatch = 256;  // validation batch

// Batch tensors of spectra idx[b0, b1) of a set on `device`: x (B, K, L), theta (B, P), built on the CPU, then
// copied.
void gather(const BatchMaker& make, std::int64_t channels, std::int64_t L, const std::vector<std::int64_t>& idx,
            std::int64_t b0, std::int64_t b1, Device device, Tensor& x, Tensor& theta) {
  const std::int64_t B = b1 - b0;
  x = Tensor::empty({B, channels, L});
  theta = Tensor::empty({B, kNumParams});
  make(idx.data() + b0, B, x.data<float>(), theta.data<float>());
  x = x.to(device);
  theta = theta.to(device);
}

BatchMaker scaled_batches(const Scaling& sc, const DatasetSource& d) {
  return [&sc, &d](const std::int64_t* rows, std::int64_t n, float* x, float* theta) { sc.spectra(d, rows, n, x, theta); };
}

// What a resumed run must match besides the caller's fingerprint: stage, sizes, settings and a parameter checksum.
std::string run_fingerprint(const DatasetSource& train, const DatasetSource& val, const TrainOptions& o) {
  double sum = 0;
  for (std::size_t i = 0; i < train.params.size(); ++i) sum += train.params[i] * double(1 + i % 7);
  for (double v : val.params) sum += v;
  char buf[320];
  std::snprintf(buf, sizeof buf, " | stage %d, %lld/%lld spectra, batch %lld, lr %a, min lr %a, wd %a, plateau %lld/%a, "
                "stop %lld, weights %a/%a/%a, sum %a", o.stage, (long long)train.size(), (long long)val.size(),
                (long long)o.batch, o.lr, o.min_lr, o.weight_decay, (long long)o.plateau_patience, o.plateau_factor,
                (long long)o.stop_patience, o.weights.reconstruction, o.weights.latent, o.weights.flow, sum);
  std::string extra;  // each appended only when on, so that earlier runs still resume
  if (o.ema_decay > 0) {
    char e[48];
    std::snprintf(e, sizeof e, ", ema %a", o.ema_decay);
    extra = e;
  }
  if (o.lr_schedule == LrSchedule::cosine) extra += ", cosine over " + std::to_string(o.max_epochs) + " epochs";
  if (!o.init_optimizer.empty()) extra += ", moments from " + o.init_optimizer;
  return o.fingerprint + buf + extra;
}

Tensor stage_loss(Network& net, int stage, const Tensor& x, const Tensor& theta, Rng& rng, const LossWeights& w) {
  if (stage == 1) return decoder_loss(net, x, theta);
  return autoencoder_losses(net, x, theta, rng, w).total;
}

void set_modes(Network& net, int stage, bool training) {
  net.train(training);
  if (stage != 1) net.decoder->eval();  // frozen: no dropout
}

std::string join(const std::vector<std::int64_t>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}
std::vector<std::int64_t> split(const std::string& s) {
  std::vector<std::int64_t> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoll(item));
  return v;
}

}  // namespace

double evaluate_stage(Network& net, const Scaling& scaling, const Dataset& data, int stage, std::int64_t batch,
                      std::uint64_t seed, const LossWeights& w) {
  return evaluate_stage(net, scaling, to_source(data), stage, batch, seed, w);
}

double evaluate_stage(Network& net, const Scaling& scaling, const DatasetSource& data, int stage, std::int64_t batch,
                      std::uint64_t seed, const LossWeights& w) {
  return evaluate_stage(net, data, scaled_batches(scaling, data), scaling.channels(), stage, batch, seed, w);
}

double evaluate_stage(Network& net, const DatasetSource& data, const BatchMaker& batches, std::int64_t channels,
                      int stage, std::int64_t batch, std::uint64_t seed, const LossWeights& w) {
  SPECNET_CHECK(data.size() > 0 && batch > 0, "bhb: evaluation needs a non-empty set and batch > 0");
  data.spectra.check_batch(batch, "bhb evaluation");
  NoGradGuard ng;
  const bool was = net.is_training();
  set_modes(net, stage, false);
  const std::int64_t N = data.size();
  std::vector<std::int64_t> idx(N);
  std::iota(idx.begin(), idx.end(), 0);
  Rng rng(seed, 7);
  const Device device = net.device();
  double total = 0;
  for (std::int64_t b0 = 0; b0 < N; b0 += batch) {
    const std::int64_t b1 = std::min(N, b0 + batch);
    Tensor x, theta;
    gather(batches, channels, data.header.bins, idx, b0, b1, device, x, theta);
    total += stage_loss(net, stage, x, theta, rng, w).item() * double(b1 - b0);
  }
  set_modes(net, stage, was);
  return total / N;
}

std::vector<float> encode_all(Network& net, const Scaling& scaling, const Dataset& data, std::int64_t batch) {
  const BatchMaker rows = [&](const std::int64_t* r, std::int64_t n, float* x, float*) {
    for (std::int64_t i = 0; i < n; ++i) scaling.spectra(data, r[i], 1, x + i * scaling.channels() * data.header.bins, nullptr);
  };
  return encode_all(net, rows, scaling.channels(), data.size(), data.header.bins, batch);
}

std::vector<float> encode_all(Network& net, const BatchMaker& batches, std::int64_t channels, std::int64_t N,
                              std::int64_t L, std::int64_t batch) {
  NoGradGuard ng;
  const bool was = net.is_training();
  net.eval();
  const std::int64_t C = net.config.context, K = channels;
  std::vector<float> out(N * C);
  // Batches in parallel, each batch's ops serial inside the region (parallel_for nests serially): one fork/join for
  // the whole set instead of one per op, which on a loaded machine costs a scheduler slice each (3.9 s against
  // 0.35 s serial for 2,160 spectra at load ~9). The ops' results do not depend on the thread count.
  const std::int64_t num_batches = (N + batch - 1) / batch;
  parallel_for(num_batches, 1, [&](std::int64_t i0, std::int64_t i1) {
    NoGradGuard worker_ng;  // grad mode is per thread
    std::vector<float> x;
    std::vector<std::int64_t> rows;
    for (std::int64_t i = i0; i < i1; ++i) {
      // The last batch is padded with zeros to the full batch shape: the GEMMs then block the sums the same way
      // whatever the set's size, so a spectrum's context (and its draws) do not depend on how many are encoded.
      const std::int64_t b0 = i * batch, B = std::min(batch, N - b0);
      x.assign(batch * K * L, 0.0f);
      rows.resize(B);
      std::iota(rows.begin(), rows.end(), b0);
      batches(rows.data(), B, x.data(), nullptr);
      const auto ctx = net.encoder->forward(Tensor::from_vector(x, {batch, K, L})).to_vector();
      std::copy(ctx.begin(), ctx.begin() + B * C, out.begin() + b0 * C);
    }
  });
  net.train(was);
  return out;
}

LrSchedule parse_lr_schedule(const std::string& name) {
  if (name == "plateau") return LrSchedule::plateau;
  if (name == "cosine") return LrSchedule::cosine;
  throw Error(str("bhb: unknown learning-rate schedule '", name, "' (plateau or cosine)"));
}

std::vector<optim::ParamGroup> stage_param_groups(Network& net, int stage) {
  std::vector<optim::ParamGroup> groups;
  for (const char* part : {"encoder", "flow", "decoder"}) {
    optim::ParamGroup g;
    g.name = part;
    const bool trainable = (stage == 1) == (std::string(part) == "decoder");
    g.frozen = !trainable;
    for (auto& [name, p] : net.child(part)->named_parameters()) {
      g.params.emplace_back(std::string(part) + "." + name, p);
      p.set_requires_grad(trainable);
    }
    groups.push_back(g);
  }
  return groups;
}

TrainResult train_stage(Network& net, const Scaling& scaling, const Dataset& train, const Dataset& val,
                        const TrainOptions& o) {
  return train_stage(net, scaling, to_source(train), to_source(val), o);
}

TrainResult train_stage(Network& net, const Scaling& scaling, const DatasetSource& train, const DatasetSource& val,
                        const TrainOptions& o) {
  SPECNET_CHECK(scaling.channels() == net.config.in_channels, "bhb train: the ", input_scaling_name(scaling.mode),
                " input scaling gives ", scaling.channels(), " channels, the network takes ", net.config.in_channels);
  return train_stage(net, train, scaled_batches(scaling, train), val, scaled_batches(scaling, val), scaling.channels(),
                     network_metadata(net.config, scaling, o.stage), o);
}

TrainResult train_stage(Network& net, const DatasetSource& train, const BatchMaker& train_batches,
                        const DatasetSource& val, const BatchMaker& val_batches, std::int64_t channels,
                        const std::map<std::string, std::string>& metadata, const TrainOptions& o) {
  cuda::require_usable(o.device, "bhb train");
  SPECNET_CHECK(o.stage >= 1 && o.stage <= 3, "bhb train: stage must be 1, 2 or 3, got ", o.stage);
  SPECNET_CHECK(o.max_epochs > 0 && o.stop_patience > 0 && o.batch > 1 && o.lr > 0,
                "bhb train: need max_epochs > 0, stop_patience > 0, batch > 1, lr > 0");
  SPECNET_CHECK(train.size() >= o.batch && val.size() > 0, "bhb train: ", train.size(), " training spectra (need >= batch ",
                o.batch, ") and ", val.size(), " validation spectra");
  SPECNET_CHECK(train.header.bins == net.config.bins && val.header.bins == net.config.bins, "bhb train: the sets have ",
                train.header.bins, " and ", val.header.bins, " bins, the network ", net.config.bins);
  SPECNET_CHECK(channels == net.config.in_channels, "bhb train: the batches have ", channels,
                " channels, the network takes ", net.config.in_channels);
  for (const DatasetSource* d : {&train, &val})
    for (double v : d->params)
      SPECNET_CHECK(std::isfinite(v), "bhb train: the set holds unlabelled spectra (NaN parameters); training needs "
                    "targets (`specnet dataset bhb --pha ... --labels FILE`)");
  net.to(o.device);  // before AdamW: its moments live with the parameters
  const std::vector<optim::ParamGroup> groups = stage_param_groups(net, o.stage);
  optim::AdamWOptions aopt;
  aopt.lr = o.lr;
  aopt.weight_decay = o.weight_decay;
  optim::AdamW adam(groups, aopt);
  optim::PlateauOptions popt;
  popt.patience = o.plateau_patience;
  popt.factor = o.plateau_factor;
  popt.min_lr = {o.min_lr};
  optim::ReduceLROnPlateau plateau(adam, popt);  // also with the cosine: it keeps the resume state's layout
  std::unique_ptr<optim::CosineAnnealingLR> cosine;
  if (o.lr_schedule == LrSchedule::cosine) cosine = std::make_unique<optim::CosineAnnealingLR>(adam, o.max_epochs, o.min_lr);
  std::unique_ptr<optim::ParameterEma> ema;
  if (o.ema_decay != 0) {  // ParameterEma refuses a decay outside [0, 1), NaN included
    nn::NamedTensors trainable;
    for (const auto& g : groups)
      if (!g.frozen) trainable.insert(trainable.end(), g.params.begin(), g.params.end());
    ema = std::make_unique<optim::ParameterEma>(trainable, o.ema_decay);
  }

  train.spectra.check_batch(o.batch, "bhb train");
  val.spectra.check_batch(kEvalBatch, "bhb evaluation");
  Rng loss_rng(o.seed, 11);
  TrainResult res;
  res.best_val = std::numeric_limits<double>::infinity();
  nn::NamedTensors best;
  const std::string last_path = o.checkpoint + ".last", fingerprint = run_fingerprint(train, val, o);
  std::int64_t start = 1;
  if (o.resume && !o.checkpoint.empty() && std::filesystem::exists(last_path)) {
    TrainState st = load_train_state(last_path, o.checkpoint, net, adam, plateau, o.seed, fingerprint, 5, "bhb train");
    for (const auto& h : st.history) res.history.push_back({std::int64_t(h[0]), h[1], h[2], h[3], h[4]});
    res.best_epoch = st.best_epoch;
    res.best_val = st.best_val;
    best = std::move(st.best);
    SPECNET_CHECK(st.rng_offsets.count("loss_rng"), "bhb train: ", last_path, " lacks the loss RNG position");
    loss_rng.set_offset(st.rng_offsets.at("loss_rng"));
    if (ema) {
      nn::NamedTensors es;
      for (const auto& [k, t] : st.tensors)
        if (k.rfind("ema.", 0) == 0) es.emplace_back(k.substr(4), t);
      SPECNET_CHECK(!es.empty(), "bhb train: ", last_path, " lacks the parameter averages of --ema-decay");
      ema->load_state_dict(es);
    }
    start = st.epoch + 1;
    if (cosine) cosine->set_last_epoch(st.epoch);
    res.stopped_on_plateau = st.epoch - res.best_epoch >= o.stop_patience;
    if (o.progress) std::printf("stage %d: resumed from %s after epoch %lld\n", o.stage, last_path.c_str(), (long long)st.epoch);
  }
  if (start == 1 && !o.init_optimizer.empty()) load_optimizer_moments(o.init_optimizer, adam);
  const auto t0 = std::chrono::steady_clock::now();
  const EpochTimeLimit time_limit(o.time_limit_s);
  const std::size_t trainable_group = o.stage == 1 ? 2 : 0;
  const std::int64_t N = train.size();
  for (std::int64_t epoch = start; epoch <= o.max_epochs && !res.stopped_on_plateau; ++epoch) {
    set_modes(net, o.stage, true);
    std::vector<std::int64_t> idx(N);
    std::iota(idx.begin(), idx.end(), 0);
    Rng shuffle(o.seed, 1000 + static_cast<std::uint64_t>(epoch));
    for (std::int64_t i = N - 1; i > 0; --i)
      std::swap(idx[i], idx[static_cast<std::int64_t>(shuffle.uniform() * (i + 1)) % (i + 1)]);
    double total = 0;
    std::int64_t steps = 0;
    for (std::int64_t b0 = 0; b0 + o.batch <= N; b0 += o.batch) {
      test_stop_point(epoch, steps + 1);
      Tensor x, theta;
      gather(train_batches, channels, train.header.bins, idx, b0, b0 + o.batch, o.device, x, theta);
      Tensor loss = stage_loss(net, o.stage, x, theta, loss_rng, o.weights);
      const double lv = loss.item();
      SPECNET_CHECK(std::isfinite(lv), "bhb train: the loss became ", lv, " at epoch ", epoch, " step ", steps);
      adam.zero_grad();
      loss.backward();
      adam.step();
      if (ema) ema->update();
      total += lv;
      ++steps;
    }
    if (ema) ema->swap();  // validate, schedule and keep the averaged network
    const double v = evaluate_stage(net, val, val_batches, channels, o.stage, kEvalBatch, o.seed, o.weights);
    if (cosine)
      cosine->step();
    else
      plateau.step(v);
    EpochRecord r;
    r.epoch = epoch;
    r.train_loss = total / std::max<std::int64_t>(steps, 1);
    r.val_loss = v;
    r.lr = adam.group(trainable_group).lr;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    res.history.push_back(r);
    if (v < res.best_val) {
      res.best_val = v;
      res.best_epoch = epoch;
      best.clear();
      for (auto& [k, t] : net.state_dict()) best.emplace_back(k, t.clone().detach());
      if (!o.checkpoint.empty()) {
        CheckpointInfo info;
        info.epoch = epoch;
        info.seed = o.seed;
        info.extra = metadata;
        save_checkpoint(o.checkpoint, net, &adam, &plateau, info);
      }
    }
    if (ema) ema->swap();  // the live weights go on training and into the resume state
    if (!o.checkpoint.empty()) {  // every epoch, after the best file: a resume needs both
      TrainState st;
      st.epoch = epoch;
      if (ema)
        for (auto& [k, t] : ema->state_dict()) st.tensors.emplace_back("ema." + k, t);
      for (const auto& h : res.history) st.history.push_back({double(h.epoch), h.train_loss, h.val_loss, h.lr, h.seconds});
      st.best_epoch = res.best_epoch;
      st.best_val = res.best_val;
      st.rng_offsets["loss_rng"] = loss_rng.offset();
      save_train_state(last_path, net, adam, plateau, st, o.seed, fingerprint, metadata);
    }
    if (o.progress) {
      std::printf("stage %d epoch %3lld/%lld  train %.4f  val %.4f%s  lr %.1e  %.0fs elapsed, ETA <= %.0fs  peak RSS %.0f MiB\n",
                  o.stage, (long long)epoch, (long long)o.max_epochs, r.train_loss, v, res.best_epoch == epoch ? " *" : "  ",
                  r.lr, r.seconds, r.seconds / (epoch - start + 1) * (o.max_epochs - epoch), sim::peak_rss_mb());
      std::fflush(stdout);
    }
    if (epoch - res.best_epoch >= o.stop_patience) res.stopped_on_plateau = true;
    if (!res.stopped_on_plateau && epoch < o.max_epochs && !time_limit.another_epoch_fits(epoch - start + 1)) {
      res.stopped_on_time = true;
      break;
    }
  }
  if (!best.empty()) {
    NoGradGuard ng;
    net.load_state_dict(best);
  }
  for (auto& [name, p] : net.named_parameters()) p.set_requires_grad(true);
  net.train();
  return res;
}

std::map<std::string, std::string> network_metadata(const NetworkConfig& c, const Scaling& s, int stage) {
  auto m = s.to_strings();
  m["net.bins"] = std::to_string(c.bins);
  m["net.in_channels"] = std::to_string(c.in_channels);
  m["net.params"] = std::to_string(c.params);
  m["net.context"] = std::to_string(c.context);
  m["net.conv_channels"] = join(c.conv_channels);
  m["net.decoder_hidden"] = join(c.decoder_hidden);
  m["net.gru_layers"] = std::to_string(c.gru_layers);
  m["net.gru_hidden"] = std::to_string(c.gru_hidden);
  m["net.decoder_dropout"] = std::to_string(c.decoder_dropout);
  m["net.flow_transforms"] = std::to_string(c.flow.transforms);
  m["net.flow_hidden"] = join(c.flow.hidden);
  m["net.flow_bins"] = std::to_string(c.flow.bins);
  m["net.flow_tail_bound"] = std::to_string(c.flow.tail_bound);
  if (c.flow.base_scale != 1 || c.flow.base_df != 0)  // a calibrated base (bhb calibrate)
    for (auto& kv : base_metadata(c.flow.base_scale, c.flow.base_df)) m.insert(kv);
  m["stage"] = std::to_string(stage);
  return m;
}

std::map<std::string, std::string> base_metadata(double scale, double df) {
  return {{"net.flow_base_scale", str(std::setprecision(17), scale)}, {"net.flow_base_df", str(std::setprecision(17), df)}};
}

NetworkConfig network_config_from(const std::map<std::string, std::string>& m) {
  auto get = [&](const char* k) {
    auto it = m.find(k);
    SPECNET_CHECK(it != m.end(), "bhb: checkpoint lacks the network setting '", k, "'");
    return it->second;
  };
  NetworkConfig c;
  c.bins = std::stoll(get("net.bins"));
  c.in_channels = m.count("net.in_channels") ? std::stoll(m.at("net.in_channels")) : 2;  // older checkpoints: 2
  c.params = std::stoll(get("net.params"));
  c.context = std::stoll(get("net.context"));
  c.conv_channels = split(get("net.conv_channels"));
  c.decoder_hidden = split(get("net.decoder_hidden"));
  c.gru_layers = std::stoll(get("net.gru_layers"));
  c.gru_hidden = std::stoll(get("net.gru_hidden"));
  c.decoder_dropout = std::stod(get("net.decoder_dropout"));
  c.flow.transforms = std::stoll(get("net.flow_transforms"));
  c.flow.hidden = split(get("net.flow_hidden"));
  c.flow.bins = std::stoll(get("net.flow_bins"));
  c.flow.tail_bound = std::stod(get("net.flow_tail_bound"));
  // Written by a calibration (bhb calibrate); absent: the standard normal the network was trained with.
  if (m.count("net.flow_base_scale")) c.flow.base_scale = std::stod(m.at("net.flow_base_scale"));
  if (m.count("net.flow_base_df")) c.flow.base_df = std::stod(m.at("net.flow_base_df"));
  nn::check_base(c.flow.base_scale, c.flow.base_df);
  return c;
}

LoadedNetwork load_network(const std::string& checkpoint) {
  const SafeTensors file = load_safetensors(checkpoint);
  std::map<std::string, std::string> extra;
  for (const auto& [k, v] : file.metadata)
    if (k.rfind("user.", 0) == 0) extra[k.substr(5)] = v;
  LoadedNetwork r;
  Rng rng(0);
  r.net = std::make_unique<Network>(network_config_from(extra), rng);
  r.scaling = Scaling::from_strings(extra);
  r.stage = extra.count("stage") ? std::stoi(extra.at("stage")) : 0;
  r.epoch = load_checkpoint(checkpoint, *r.net).epoch;
  r.metadata = std::move(extra);
  return r;
}

}  // namespace specnet::bhb
