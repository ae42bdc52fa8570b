// `specnet dataset bhb` and `specnet bhb train|sample|report`: the spectral-posterior pipeline of paper 002 (NICER
// black-hole-binary spectra -> flow-autoencoder -> posterior samples), with the paper's metrics and SVG plots.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bhb_cli.h"
#include "specnet/bhb/calibrate.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/bhb/oracle.h"
#include "specnet/bhb/residual.h"
#include "specnet/bhb/svg.h"
#include "specnet/bhb/train.h"
#include "specnet/context.h"
#include "specnet/cuda/runtime.h"
#include "specnet/error.h"
#include "specnet/ic/io_util.h"
#include "specnet/sim/resources.h"

namespace specnet::cli {
namespace {

using namespace specnet::bhb;

// ---- specnet dataset bhb ----
int run_dataset(const Args& all) {
  SPECNET_CHECK(!all.empty() && (all[0] == "bhb" || all[0] == "-h" || all[0] == "--help"),
                "specnet dataset: the dataset kind comes first; known: bhb");
  const Args args(all.begin() + (all[0] == "bhb" ? 1 : 0), all.end());
  Options opt(args, {{"kind", "synthetic|synthetic (paper priors, 1e3 s) or shifted (stage-3 substitute set)"},
                     {"count", "100000|spectra to keep"},
                     {"min-counts", "10000|keep spectra with at least this many counts in the 240 bins"},
                     {"response", "nicer|nicer or RMF[,ARF] with 1501 NICER PI channels"},
                     {"seed", "0|random seed"},
                     {"pha", "|real spectra instead: SRC.pha[:BKG.pha],... (a file with one per line if prefixed @)"},
                     {"labels", "|with --pha: CSV of N_H,Gamma,f_sc,kT_disk,N per spectrum (else unlabelled)"},
                     {"n-det", "52|NICER detectors the rate is divided by"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"},
                     {"quiet", "0|no progress lines"},
                     {"out", "bhb.bhb|output record file"}});
  if (opt.help()) {
    std::printf("specnet dataset bhb: NICER black-hole-binary spectra for the posterior network (%s)\n%s",
                kModelExpression, opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  const std::string out = opt.str("out");
  if (!opt.str("pha").empty()) {
    const std::vector<PhaPair> items = parse_pha_list(opt.str("pha"));
    std::vector<std::array<double, kNumParams>> labels;
    if (!opt.str("labels").empty()) {
      std::ifstream f(opt.str("labels"));
      SPECNET_CHECK(f.good(), "--labels: cannot read ", opt.str("labels"));
      for (std::string line; std::getline(f, line);) {
        if (line.empty() || line[0] == '#') continue;
        std::stringstream ls(line);
        std::array<double, kNumParams> l{};
        for (auto& v : l) {
          std::string tok;
          SPECNET_CHECK(std::getline(ls, tok, ','), "--labels: line '", line, "' needs ", kNumParams, " values");
          v = std::stod(tok);
        }
        labels.push_back(l);
      }
      SPECNET_CHECK(labels.size() == items.size(), "--labels has ", labels.size(), " rows for ", items.size(), " spectra");
    }
    const auto resp = sim::load_response(opt.str("response"));
    const BinGrouping g = nicer_grouping(resp.rmf.channel_e_min_kev, resp.rmf.channel_e_max_kev);
    DatasetHeader h;
    h.bins = g.size();
    h.n_det = opt.num("n-det");
    h.kind = 2;
    h.exposure_s = 0;
    DatasetWriter w(out, h);
    for (std::size_t i = 0; i < items.size(); ++i) {
      std::array<double, kNumParams> theta;
      theta.fill(std::nan(""));
      if (!labels.empty()) theta = labels[i];
      w.append(-1, theta.data(), spectrum_from_pha(g, items[i].source, items[i].background, h.n_det));
    }
    w.close();
    std::printf("wrote %s: %lld real spectra, %lld bins\n", out.c_str(), (long long)w.count(), (long long)h.bins);
    return 0;
  }
  const std::string kind = opt.str("kind");
  SPECNET_CHECK(kind == "synthetic" || kind == "shifted", "--kind must be synthetic or shifted, got '", kind, "'");
  const long long seed = opt.integer("seed");
  SPECNET_CHECK(seed >= 0, "--seed must be >= 0");
  Simulation s = make_simulation(kind == "shifted" ? 1 : 0, static_cast<std::uint64_t>(seed), opt.str("response"));
  s.n_det = opt.num("n-det");
  SimulateOptions so;
  so.count = opt.integer("count");
  so.min_counts = opt.num("min-counts");
  so.progress = !opt.flag("quiet");
  const auto t0 = std::chrono::steady_clock::now();
  simulate_to_file(s, so, out);
  std::printf("wrote %s: %lld %s spectra (%s, exposure %g s, >= %g counts), %.1f s\n", out.c_str(), (long long)so.count,
              kind.c_str(), kModelExpression, s.fakeit.exposure_s, so.min_counts, seconds_since(t0));
  return 0;
}

// ---- specnet bhb train ----
// The options of a training stage, checked.
TrainOptions train_options(const Options& opt, Device device) {
  TrainOptions to;
  to.stage = static_cast<int>(opt.integer("stage"));
  SPECNET_CHECK(to.stage >= 1 && to.stage <= 3, "--stage must be 1, 2 or 3");
  to.max_epochs = opt.integer("epochs");
  to.stop_patience = opt.integer("patience");
  to.lr = opt.num("lr") > 0 ? opt.num("lr") : (to.stage == 3 ? 1e-4 : 1e-3);
  to.batch = opt.integer("batch");
  to.plateau_patience = opt.integer("plateau-patience");
  to.plateau_factor = opt.num("plateau-factor");
  to.min_lr = opt.num("min-lr");
  SPECNET_CHECK(to.plateau_patience >= 1 && to.plateau_factor > 0 && to.plateau_factor < 1 && to.min_lr >= 0,
                "need --plateau-patience >= 1, --plateau-factor in (0, 1) and --min-lr >= 0");
  to.lr_schedule = parse_lr_schedule(opt.str("lr-schedule"));
  to.ema_decay = opt.num("ema-decay");
  SPECNET_CHECK(to.ema_decay >= 0 && to.ema_decay < 1, "--ema-decay must be in [0, 1) (0: off)");
  to.time_limit_s = opt.num("time-limit");
  SPECNET_CHECK(to.time_limit_s >= 0, "--time-limit must be >= 0 seconds (0: none)");
  to.seed = static_cast<std::uint64_t>(opt.integer("seed"));
  to.checkpoint = opt.str("out");
  to.resume = opt.flag("resume");
  SPECNET_CHECK(!opt.flag("init-optimizer") || to.stage != 1, "--init-optimizer needs --init: stages 2 and 3");
  to.device = device;
  to.weights.reconstruction = opt.num("recon-weight");
  to.weights.latent = opt.num("latent-weight");
  to.weights.flow = opt.num("flow-weight");
  SPECNET_CHECK(to.weights.reconstruction >= 0 && to.weights.latent >= 0 && to.weights.flow >= 0,
                "loss weights must be >= 0");
  return to;
}

// The spectra --limit keeps of a set of n, and the validation share of those (the last --val-fraction).
std::int64_t train_limit(const Options& opt, std::int64_t n) {
  const long long limit = opt.integer("limit");
  SPECNET_CHECK(limit >= 0, "--limit must be >= 0");
  return limit > 0 ? std::min<std::int64_t>(limit, n) : n;
}
std::int64_t validation_count(const Options& opt, std::int64_t n) {
  const double vf = opt.num("val-fraction");
  SPECNET_CHECK(vf > 0 && vf < 1, "--val-fraction must be in (0, 1), got ", vf);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(n * vf));
}

// A network built from the options (stage 1, or a fresh residual stage) for K input channels and L bins.
std::unique_ptr<Network> new_network(const Options& opt, std::int64_t channels, std::int64_t bins, std::uint64_t seed) {
  NetworkConfig cfg;
  cfg.context = opt.integer("context");
  cfg.flow.transforms = opt.integer("transforms");
  cfg.flow.hidden = opt.int_list("flow-hidden");
  cfg.conv_channels = opt.int_list("conv-channels");
  cfg.bins = bins;
  cfg.in_channels = channels;
  Rng rng(seed, 3);
  return std::make_unique<Network>(cfg, rng);
}

// --init for stages 2 and 3, with its base reset to the standard normal; --init-optimizer takes its moments.
LoadedNetwork load_init(const Options& opt, TrainOptions& to) {
  SPECNET_CHECK(!opt.str("init").empty(), "--init (the previous stage's checkpoint) is required for stage ", to.stage);
  LoadedNetwork l = load_network(opt.str("init"));
  if (opt.flag("init-optimizer")) to.init_optimizer = opt.str("init");
  if (l.net->flow->options.base_scale != 1 || l.net->flow->options.base_df != 0) {  // it belongs to the weights it was fitted on
    std::printf("bhb train: --init has the flow base scale %.4g, df %.4g (calibrated, or trained with --base-df); "
                "training starts from the standard normal base unless --base-df is given; calibrate again afterwards "
                "(specnet bhb calibrate)\n",
                l.net->flow->options.base_scale, l.net->flow->options.base_df);
    set_base(*l.net, {});
  }
  return l;
}

// --base-df on the network to train (the standard normal stays when it is 0).
void apply_base_df(const Options& opt, Network& net) {
  const double df = opt.num("base-df");
  SPECNET_CHECK(df >= 0 && std::isfinite(df), "--base-df must be >= 0 (0: the normal base)");
  if (df > 0) set_base(net, {1.0, df});
}

std::string train_fingerprint(const Options& opt, const DatasetHeader& h, Network& net) {
  const double df = opt.num("base-df");
  return "bhb train " + opt.str("data") + " (" + dataset_kind_name(h.kind) + ", seed " + std::to_string(h.seed) +
         ") init '" + opt.str("init") + "' net " + std::to_string(net.num_parameters()) +
         (df > 0 ? " base t" + std::to_string(df) : "");
}

int print_train_result(const TrainResult& r, const TrainOptions& to) {
  std::printf("stage %d %s: best validation loss %.4f at epoch %lld of %zu (%s); checkpoint %s\n", to.stage,
              r.stopped_on_time ? "stopped" : "done", r.best_val, (long long)r.best_epoch, r.history.size(),
              r.stopped_on_plateau ? "plateau"
              : r.stopped_on_time  ? "time limit: continue with the same options and --resume"
                                   : "epoch cap",
              to.checkpoint.c_str());
  std::printf("peak memory (RSS): %.1f MiB\n", sim::peak_rss_mb());
  return 0;
}

// bhb train --residual-of FIRST[,STAGE...]: a residual stage (residual.h) after the chain. The set is read into
// memory and the chain's inputs are computed for it once per call.
int run_train_residual(const Options& opt, TrainOptions to) {
  SPECNET_CHECK(to.stage == 2, "--residual-of trains the residual stage's encoder and flow: --stage 2");
  const std::string list = opt.str("residual-of");
  const std::size_t comma = std::min(list.find(','), list.size());
  LoadedNetwork first = load_network(list.substr(0, comma));
  const Scaling& scaling = first.scaling;
  Dataset all = read_dataset(opt.str("data"));
  SPECNET_CHECK(all.header.kind <= 1, "--residual-of needs a simulated set (synthetic or shifted): the residuals use "
                "its simulation's response and background");
  const ResidualStages stages =
      load_residual_stages(comma < list.size() ? list.substr(comma + 1) : "", *first.net, all.header);
  const Chain chain = stages.chain(*first.net);
  all = all.slice(0, train_limit(opt, all.size()));
  const std::int64_t n_val = validation_count(opt, all.size());
  const Dataset train = all.slice(0, all.size() - n_val), val = all.slice(all.size() - n_val, all.size());
  const Simulation sim = make_simulation(all.header.kind, all.header.seed);
  const ResidualInputs train_in = residual_inputs(chain, scaling, sim, train, true);
  const ResidualInputs val_in = residual_inputs(chain, scaling, sim, val, true);
  const std::string previous = weights_digest(*chain.back());  // the network the new stage follows
  std::unique_ptr<Network> net;
  if (opt.str("init").empty()) {
    net = new_network(opt, residual_channels(scaling), all.header.bins, to.seed);
  } else {
    LoadedNetwork l = load_init(opt, to);
    if (chain.size() > 1 && weights_digest(*l.net) == previous) {
      // A warm start from the stage before: same inputs' layout, a narrower frame (residual.h).
      SPECNET_CHECK(!opt.flag("init-optimizer"), "--init-optimizer: --init is the chain's last stage, not a checkpoint "
                    "of the stage being trained");
      std::printf("bhb train: starting the new stage from the weights of the stage before it (%s)\n",
                  opt.str("init").c_str());
    } else {
      check_residual_pair(*chain.back(), l.metadata, opt.str("init"));
    }
    net = std::move(l.net);
  }
  apply_base_df(opt, *net);
  std::map<std::string, std::string> metadata = network_metadata(net->config, scaling, to.stage);
  metadata["residual.first"] = previous;
  to.fingerprint = train_fingerprint(opt, all.header, *net) + " residual of " + metadata["residual.first"];
  std::printf("bhb train residual stage (network %zu of the chain): %lld training + %lld validation spectra (%s), chain %s, %lld "
              "parameters, lr %g, %d threads, device %s\n",
              chain.size() + 1, (long long)train.size(), (long long)val.size(), dataset_kind_name(all.header.kind),
              list.c_str(), (long long)net->num_parameters(), to.lr, num_threads(),
              device_name(to.device));
  const DatasetSource train_src = to_source(train), val_src = to_source(val);
  return print_train_result(train_stage(*net, train_src, train_in.maker(), val_src, val_in.maker(),
                                        residual_channels(scaling), metadata, to),
                            to);
}

int run_train(const Args& args) {
  Options opt(args, {{"data", "|training record file from `specnet dataset bhb` (required)"},
                     {"val-fraction", "0.1|last fraction of the set used for validation"},
                     {"limit", "0|use only the first N spectra (0: all)"},
                     {"stage", "1|1 decoder, 2 encoder+flow (decoder frozen), 3 fine-tune encoder+flow"},
                     {"init", "|checkpoint of the previous stage (stages 2 and 3); with --residual-of, one of the stage being "
                              "trained, or the chain's last residual stage (a warm start)"},
                     {"residual-of", "|a first network, then any residual stages trained on it (comma-separated): train a "
                                     "residual stage on the chain's estimates and the Pearson residuals there (stage 2, "
                                     "synthetic or shifted sets; docs/bhb.md)"},
                     {"init-optimizer", "0|stages 2-3: also start AdamW's moments from --init (going on with new "
                                        "spectra or another lr without the setback of fresh moments)"},
                     {"out", "bhb_net.safetensors|best-epoch checkpoint (the latest epoch goes to OUT.last)"},
                     {"epochs", "400|epoch cap"},
                     {"patience", "30|stop after this many epochs without improvement"},
                     {"lr", "0|AdamW learning rate (0: 1e-3 for stages 1-2, 1e-4 for stage 3)"},
                     {"batch", "120|batch size"},
                     {"plateau-patience", "10|ReduceLROnPlateau: epochs without improvement before the lr is cut"},
                     {"plateau-factor", "0.5|ReduceLROnPlateau: factor of each cut"},
                     {"min-lr", "1e-6|lowest lr: ReduceLROnPlateau's floor, the cosine's end (the paper: 1e-6)"},
                     {"lr-schedule", "plateau|plateau (the paper's ReduceLROnPlateau) or cosine (--lr down to --min-lr "
                                     "over --epochs; not the paper's)"},
                     {"ema-decay", "0|per-step moving average of the trained weights, validated and saved (0: off, the "
                                   "paper; e.g. 0.999)"},
                     {"time-limit", "0|wall-clock seconds for this call: stop before an epoch that would end later, "
                                    "checkpoints written; --resume continues (0: none)"},
                     {"transforms", "10|flow transforms (stage 1 builds the network)"},
                     {"flow-hidden", "120,120,120|MADE hidden widths"},
                     {"conv-channels", "16,32,32,32,32,32|stage 1: encoder convolution widths (k2 s2 / k3 alternating)"},
                     {"context", "120|context width"},
                     {"input-scaling", "paper|stage 1: paper (section B) or shape (level apart from shape; docs/bhb.md)"},
                     {"base-df", "0|train with a Student-t flow base of this many degrees of freedom (0: the standard "
                                 "normal, the paper's); heavy tails keep rare far-off targets from dominating the loss"},
                     {"recon-weight", "1|weight of the reconstruction loss (stages 2-3; the paper: 1)"},
                     {"latent-weight", "1|weight of the latent MSE (stages 2-3; the paper: 1; 0 with --recon-weight 0: flow NLL alone, no draw)"},
                     {"flow-weight", "1|weight of the flow NLL (stages 2-3; the paper: 1)"},
                     {"seed", "0|random seed (initialisation, shuffling, flow draws)"},
                     {"resume", "0|continue from OUT.last (written every epoch) when it exists, bit for bit"},
                     {"memory-budget-mb", "0|memory for the spectra, MiB: a larger --data file is streamed from disk (0: "
                                          "SPECNET_MEMORY_BUDGET_MB or 512)"},
                     {"device", "cpu|where the network trains: cpu or cuda (the data stays in host memory)"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"}});
  if (opt.help()) {
    std::printf("specnet bhb train: one training stage of the flow-autoencoder\n%s", opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  const Device device = opt.device();
  cuda::require_usable(device, "bhb train");  // before reading any data
  SPECNET_CHECK(!opt.str("data").empty(), "--data is required\n", opt.usage());
  TrainOptions to = train_options(opt, device);
  if (!opt.str("residual-of").empty()) return run_train_residual(opt, to);
  const std::uint64_t budget = io::training_budget_bytes(opt.integer("memory-budget-mb"));
  DatasetSource all = open_dataset(opt.str("data"), budget);
  all = all.slice(0, std::min(all.size(), train_limit(opt, all.size())));
  const std::int64_t n_val = validation_count(opt, all.size());
  const DatasetSource train = all.slice(0, all.size() - n_val), val = all.slice(all.size() - n_val, all.size());
  std::unique_ptr<Network> net;
  Scaling scaling;
  if (to.stage == 1) {
    scaling = Scaling::fit(train, parse_input_scaling(opt.str("input-scaling")));
    net = new_network(opt, scaling.channels(), train.header.bins, to.seed);
  } else {
    LoadedNetwork l = load_init(opt, to);
    net = std::move(l.net);
    scaling = l.scaling;  // always the synthetic set's scaling, also when fine-tuning on another set
  }
  apply_base_df(opt, *net);
  to.fingerprint = train_fingerprint(opt, all.header, *net);
  const double mib = double(all.size()) * 8.0 * double(all.header.bins) / (1 << 20);
  std::printf("bhb train stage %d: %lld training + %lld validation spectra (%s), %lld parameters, lr %g, %d threads; "
              "%.1f MiB of spectra %s (budget %.0f MiB), device %s\n",
              to.stage, (long long)train.size(), (long long)val.size(), dataset_kind_name(all.header.kind),
              (long long)net->num_parameters(), to.lr, num_threads(), mib,
              all.spectra.streamed() ? "streamed from disk" : "in memory", double(budget) / (1 << 20), device_name(device));
  return print_train_result(train_stage(*net, scaling, train, val, to), to);
}

// ---- specnet bhb sample ----
int run_sample(const Args& args) {
  Options opt(args, {{"model", "|trained checkpoint (required)"},
                     {"residual", "|residual stages trained on --model (comma-separated, in chain order): draw from the "
                                  "chain's posterior (simulated sets)"},
                     {"data", "|record file (required)"},
                     {"count", "2160|spectra (the first N of the set)"},
                     {"n", "1000|posterior draws per spectrum"},
                     {"seed", "0|random seed"},
                     {"out", "|write draws (N, n, 5) in physical units as float32 here (atomically)"},
                     {"precision", "auto|sampler GEMMs: auto (bf16 on AMX, else f32), f32 or bf16"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"}});
  if (opt.help()) {
    std::printf("specnet bhb sample: timed batched posterior sampling\n%s", opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  SPECNET_CHECK(!opt.str("model").empty() && !opt.str("data").empty(), "--model and --data are required\n", opt.usage());
  LoadedNetwork l = load_network(opt.str("model"));
  Dataset d = read_dataset(opt.str("data"));
  const long long count = std::min<long long>(opt.integer("count"), d.size()), n = opt.integer("n");
  SPECNET_CHECK(count > 0 && n > 0, "--count and --n must be positive");
  d = d.slice(0, count);
  const FastFlowSampler::Precision precision = FastFlowSampler::parse_precision(opt.str("precision"));
  const std::uint64_t seed = static_cast<std::uint64_t>(opt.integer("seed"));
  std::vector<float> draws;  // (count, n, P) scaled
  if (!opt.str("residual").empty()) {
    const ResidualStages stages = load_residual_stages(opt.str("residual"), *l.net, d.header);
    const Simulation sim = make_simulation(d.header.kind, d.header.seed);
    Posterior post = residual_posterior(stages.chain(*l.net), l.scaling, sim, d, n, seed, precision, false);
    std::printf("%lld spectra x %lld draws of the chain's posterior: earlier stages, residuals and encoders %.3f s, "
                "sample %.3f s, total %.3f s (%d threads, %s sampler)\n",
                count, n, post.seconds_encode, post.seconds_sample, post.seconds_encode + post.seconds_sample,
                num_threads(), FastFlowSampler::precision_name(FastFlowSampler(*stages.last().flow, precision).precision()));
    draws = std::move(post.samples);
  } else {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<float> ctx = encode_all(*l.net, l.scaling, d);
    const double t_enc = seconds_since(t0);
    FastFlowSampler fast(*l.net->flow, precision);
    draws.resize(count * n * kNumParams);
    const auto t1 = std::chrono::steady_clock::now();
    fast.sample(ctx.data(), count, n, seed, draws.data());
    const double t_s = seconds_since(t1);
    std::printf("%lld spectra x %lld draws: encode %.3f s, sample %.3f s, total %.3f s (%.0f draws/s, %d threads, "
                "%s sampler, %.0f multiply-adds per draw)\n",
                count, n, t_enc, t_s, t_enc + t_s, count * n / t_s, num_threads(),
                FastFlowSampler::precision_name(fast.precision()), fast.macs_per_draw());
  }
  if (!opt.str("out").empty()) {
    for (std::size_t k = 0; k < draws.size(); ++k)
      draws[k] = static_cast<float>(l.scaling.to_physical(static_cast<std::int64_t>(k % kNumParams), draws[k]));
    ic::write_text_file(opt.str("out"), std::string(reinterpret_cast<const char*>(draws.data()), draws.size() * 4));
  }
  return 0;
}

// ---- specnet bhb report ----
std::string param_axis(std::int64_t p) {
  return std::string(kParamLog[p] ? "log10 " : "") + kParamNames[p] + " (z-scored)";
}

int run_report(const Args& args) {
  Options opt(args, {{"model", "|trained checkpoint (required)"},
                     {"residual", "|residual stages trained on --model (bhb train --residual-of; comma-separated, in "
                                  "chain order): report the chain's posterior (simulated sets)"},
                     {"data", "|validation record file (required)"},
                     {"count", "2160|validation spectra (the first N of the set)"},
                     {"samples", "1024|posterior draws per spectrum for PCC and coverage"},
                     {"pgstat-count", "400|spectra for the PG-stat comparison (one fit each, ~1.5 s of a core; the median of a few "
                                      "dozen varies by a factor of several from set to set)"},
                     {"fit-iterations", "130|Levenberg-Marquardt iterations of the fitting baseline"},
                     {"fit-start", "network|fit starting point: network (posterior median) or default (model defaults)"},
                     {"coverage-reference", "0|first N spectra also get the coverage an exact posterior scores on "
                                            "them (the truth's likelihood ratio, ~0.5 s of a core each; 0: off)"},
                     {"corner", "3|spectra with corner plots beside MCMC posteriors (0: none)"},
                     {"mcmc-steps", "400|MCMC steps per walker (32 walkers, first 40% burn-in)"},
                     {"seed", "0|random seed"},
                     {"out-dir", "bhb_report|directory for report.md and the SVG plots (must exist)"},
                     {"precision", "auto|sampler GEMMs: auto (bf16 on AMX, else f32), f32 or bf16"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"}});
  if (opt.help()) {
    std::printf("specnet bhb report: PCC, HPD coverage, PG-stat, timing and plots on a validation set\n%s",
                opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  SPECNET_CHECK(!opt.str("model").empty() && !opt.str("data").empty(), "--model and --data are required\n", opt.usage());
  LoadedNetwork l = load_network(opt.str("model"));
  Network& net = *l.net;
  Dataset d = read_dataset(opt.str("data"));
  const long long count = std::min<long long>(opt.integer("count"), d.size());
  SPECNET_CHECK(count > 1, "--count must be > 1");
  d = d.slice(0, count);
  for (double v : d.params) SPECNET_CHECK(std::isfinite(v), "bhb report: the set is unlabelled; metrics need targets");
  const ResidualStages stages = load_residual_stages(opt.str("residual"), net, d.header);  // when given
  const Chain chain = stages.chain(net);
  std::unique_ptr<Simulation> sim2;
  if (!stages.empty()) sim2 = std::make_unique<Simulation>(make_simulation(d.header.kind, d.header.seed));
  const std::string dir = opt.str("out-dir");
  const std::uint64_t seed = static_cast<std::uint64_t>(opt.integer("seed"));
  const FastFlowSampler::Precision precision = FastFlowSampler::parse_precision(opt.str("precision"));
  const char* path = FastFlowSampler::precision_name(FastFlowSampler(*net.flow, precision).precision());
  std::ostringstream md;
  char buf[512];
  std::snprintf(buf, sizeof buf, "# BHB posterior report\n\nmodel `%s` (stage %d, epoch %lld), data `%s` (%s, %lld spectra), %d threads, %s sampler, %s\n\n",
                opt.str("model").c_str(), l.stage, (long long)l.epoch, opt.str("data").c_str(),
                dataset_kind_name(d.header.kind), count, num_threads(), path, base_description(net.flow->options).c_str());
  md << buf;
  if (!stages.empty()) {
    std::snprintf(buf, sizeof buf, "residual stages `%s` (last: %s): the draws are the chain's posterior; the timings "
                  "include the earlier stages' estimates and one model evaluation per spectrum and stage\n\n",
                  opt.str("residual").c_str(), base_description(stages.last().flow->options).c_str());
    md << buf;
  }

  // Timing: 1 and 1000 draws per spectrum, encoder included.
  double wall[2];
  const std::int64_t ns[2] = {1, 1000};
  for (int k = 0; k < 2; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!stages.empty()) {
      residual_posterior(chain, l.scaling, *sim2, d, ns[k], seed, precision, false);
    } else {
      const auto ctx = encode_all(net, l.scaling, d);
      FastFlowSampler fast(*net.flow, precision);
      std::vector<float> out(count * ns[k] * kNumParams);
      fast.sample(ctx.data(), count, ns[k], seed, out.data());
    }
    wall[k] = seconds_since(t0);
  }
  std::snprintf(buf, sizeof buf, "| wall time (%lld spectra) | 1 sample | 1000 samples |\n|---|---|---|\n| network (this run) | %.2f s | %.2f s |\n| paper (Apple M2) | 2.11 s | 51.8 s |\n\n",
                count, wall[0], wall[1]);
  md << buf;

  const std::int64_t n = opt.integer("samples");
  SPECNET_CHECK(n >= 50, "--samples must be >= 50");
  const Posterior post = !stages.empty() ? residual_posterior(chain, l.scaling, *sim2, d, n, seed + 1, precision)
                                 : sample_posterior(net, l.scaling, d, n, seed + 1, precision);
  // PCC of 50 draws per spectrum with the targets (scaled space), and of the posterior medians.
  md << "| parameter | PCC (50 draws x spectra) | PCC (posterior median) |\n|---|---|---|\n";
  std::vector<double> min_pcc = {1.0};
  SvgPlot pvt(5 * 230 + 40, 290);
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    const ParameterPcc pcc = parameter_pcc(post, p);
    const std::vector<double>& med = pcc.medians;
    std::vector<double> tt(count);
    for (std::int64_t i = 0; i < count; ++i) tt[i] = post.truth[i * kNumParams + p];
    const double a = pcc.draws, b = pcc.median;
    min_pcc[0] = std::min(min_pcc[0], a);
    std::snprintf(buf, sizeof buf, "| %s | %.3f | %.3f |\n", kParamNames[p], a, b);
    md << buf;
    double lo = *std::min_element(tt.begin(), tt.end()), hi = *std::max_element(tt.begin(), tt.end());
    lo -= 0.5;
    hi += 0.5;
    std::snprintf(buf, sizeof buf, "%s: PCC %.3f", kParamNames[p], b);
    const int i = pvt.panel(50 + p * 230, 30, 180, 180, lo, hi, lo, hi, "true " + param_axis(p), p == 0 ? "posterior median" : "", buf);
    pvt.points(i, tt, med, "#1f77b4", 1.2, 0.35);
    pvt.line(i, {lo, hi}, {lo, hi}, "black", 1, true);
  }
  pvt.save(dir + "/pred_vs_true.svg");
  std::snprintf(buf, sizeof buf, "\nminimum PCC %.3f (paper: 0.842, Gamma; acceptance: >= 0.9)\n\n", min_pcc[0]);
  md << buf;
  // Where the PCC is lost: by the true parameters and by the counts (draws / medians; a subset spans a narrower range
  // of truths than the whole set, so its PCC is lower even for a perfect posterior).
  md << "PCC by subset (50 draws / posterior median):\n\n| subset | spectra |";
  for (const char* name : kParamNames) md << ' ' << name << " |";
  md << "\n|---|---|---|---|---|---|---|\n";
  for (const SpectrumSubset& s : spectrum_subsets(d.params.data(), count, d.counts.data())) {
    md << "| " << s.name << " | " << s.rows.size() << " |";
    for (std::int64_t p = 0; p < kNumParams; ++p) md << ' ' << pcc_cell(post, p, s.rows) << " |";
    md << "\n";
  }
  md << "\n";

  // Coverage of HPD regions.
  const auto hpd = hpd_levels(post.log_q, post.truth_log_q, count, n);
  const std::vector<double> levels = credible_levels();
  const auto cov = coverage(hpd, levels);
  // The reference: on the first nref spectra, the truth's asymptotic HPD level under the exact posterior
  // (chi2_cdf of its likelihood ratio), and the network's coverage on the same spectra.
  const long long nref = std::min<long long>(opt.integer("coverage-reference"), count);
  SPECNET_CHECK(nref >= 0, "--coverage-reference must be >= 0");
  SPECNET_CHECK(nref == 0 || d.header.kind <= 1, "--coverage-reference needs a simulated set (it resimulates the spectra)");
  std::vector<double> ref_cov, net_ref_cov;
  if (nref > 0) {
    const Simulation sim = make_simulation(d.header.kind, d.header.seed);
    std::vector<double> ref_level(nref);  // (nref)
    parallel_for(nref, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        std::vector<double> counts;
        std::array<double, kNumParams> truth{};
        resimulate(sim, d.index[i], counts, truth);
        ref_level[i] = chi2_cdf(truth_likelihood_ratio(sim, counts, truth), kNumParams);
      }
    });
    ref_cov = coverage(ref_level, levels);
    net_ref_cov = coverage(std::vector<double>(hpd.begin(), hpd.begin() + nref), levels);
  }
  const double worst = coverage_deviation(cov, levels);
  const double ref_worst = nref > 0 ? coverage_deviation(ref_cov, levels) : 0;
  const double net_ref_worst = nref > 0 ? coverage_deviation(net_ref_cov, levels) : 0;
  md << "| credible level | coverage |";
  if (nref > 0) md << " network, first " << nref << " | exact posterior, first " << nref << " (asymptotic) |";
  md << "\n|---|---|" << (nref > 0 ? "---|---|" : "") << "\n";
  for (std::size_t k = 0; k < levels.size(); ++k) {
    if (k % 2 == 1 || k + 1 == levels.size()) {
      std::snprintf(buf, sizeof buf, "| %.2f | %.3f |", levels[k], cov[k]);
      md << buf;
      if (nref > 0) {
        std::snprintf(buf, sizeof buf, " %.3f | %.3f |", net_ref_cov[k], ref_cov[k]);
        md << buf;
      }
      md << "\n";
    }
  }
  std::snprintf(buf, sizeof buf, "\nlargest |coverage - level| %.3f (acceptance: <= 0.05)\n\n", worst);
  md << buf;
  if (nref > 0) {
    std::snprintf(buf, sizeof buf, "on the first %lld spectra: network %.3f, exact posterior %.3f. The exact posterior's "
                  "column takes chi2_cdf(2 (max log posterior - at the truth), %d) as each truth's HPD level (Wilks); it "
                  "strays from the diagonal by the sampling error of the spectra drawn, and over-covers in the centre "
                  "where posteriors are cut by the prior box (docs/bhb.md): compare the network with it at the upper "
                  "levels\n\n", nref, net_ref_worst, ref_worst, (int)kNumParams);
    md << buf;
  }
  // The proper score behind training: what `bhb train` reports as the validation loss, here on this set.
  double nll = 0;
  for (double lq : post.truth_log_q) nll -= lq;
  std::snprintf(buf, sizeof buf, "flow NLL on this set: mean -log q(truth | x) = %.4f (scaled parameters, the training's "
                "validation loss; lower is better)\n\n", nll / double(count));
  md << buf;
  {
    SvgPlot svg(360, 340);
    const int i = svg.panel(60, 30, 270, 260, 0, 1, 0, 1, "credible level", "coverage", "HPD coverage");
    svg.line(i, {0, 1}, {0, 1}, "black", 1, true);
    coverage_line(svg, i, levels, cov, "#1f77b4");
    if (nref > 0) coverage_line(svg, i, levels, ref_cov, "#ff7f0e", true);  // the exact posterior's, first nref spectra
    svg.save(dir + "/coverage.svg");
  }

  // PG-stat at the posterior median vs the fitting baseline vs the truth (needs a simulated set).
  const long long npg = std::min<long long>(opt.integer("pgstat-count"), count);
  if (d.header.kind <= 1 && npg > 0) {
    const Simulation sim = make_simulation(d.header.kind, d.header.seed);
    // One spectrum per task (the fits dominate; each builds its own problem, so results do not depend on threads).
    std::vector<double> r_net(npg), r_best(npg), r_fit(npg), r_true(npg), fit_s(npg);  // (npg)
    const int iters = static_cast<int>(opt.integer("fit-iterations"));
    SPECNET_CHECK(opt.str("fit-start") == "network" || opt.str("fit-start") == "default",
                  "--fit-start must be network or default, got '", opt.str("fit-start"), "'");
    const bool from_network = opt.str("fit-start") == "network";
    const auto t_pg = std::chrono::steady_clock::now();
    parallel_for(npg, 1, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t i = b; i < e; ++i) {
        std::vector<double> counts;
        std::array<double, kNumParams> truth{}, fitted{};
        resimulate(sim, d.index[i], counts, truth);
        r_true[i] = reduced_pgstat(sim, counts, truth);
        const auto med = posterior_median(post, l.scaling, i);
        r_net[i] = reduced_pgstat(sim, counts, med);
        r_best[i] = reduced_pgstat(sim, counts, posterior_best_draw(post, l.scaling, i));
        const auto t0 = std::chrono::steady_clock::now();
        r_fit[i] = fit_baseline(sim, counts, iters, fitted, from_network ? &med : nullptr).reduced;
        fit_s[i] = seconds_since(t0);
      }
    });
    const double pg_wall = seconds_since(t_pg);
    double fit_seconds = 0;
    for (double t : fit_s) fit_seconds += t;
    auto median = [](std::vector<double> v) {
      std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
      return v[v.size() / 2];
    };
    std::snprintf(buf, sizeof buf,
                  "| median reduced PG-stat (%lld spectra) | network (posterior median) | fit (%d LM iterations) | true parameters |\n"
                  "|---|---|---|---|\n| this run | %.3f | %.3f | %.3f |\n| paper | 3.796 | 3.804 | 3.801 |\n\n"
                  "fitting baseline: started from the %s, %.2f s per spectrum on one thread (%d threads: %.0f s "
                  "for all); network / fit = %.3f (acceptance: within 5%%)\n\n",
                  npg, iters, median(r_net), median(r_fit), median(r_true),
                  from_network ? "network's posterior median" : "model defaults", fit_seconds / npg, num_threads(),
                  pg_wall, median(r_net) / median(r_fit));
    md << buf;
    std::snprintf(buf, sizeof buf, "at the network's most probable draw (highest log q of the %lld; on the ridge of a "
                  "correlated posterior, where the marginal medians need not be): %.3f\n\n", (long long)n, median(r_best));
    md << buf;
  }

  // Corner plots beside MCMC posteriors.
  const long long nc = std::min<long long>(opt.integer("corner"), count);
  if (d.header.kind <= 1 && nc > 0) {
    const Simulation sim = make_simulation(d.header.kind, d.header.seed);
    const int steps = static_cast<int>(opt.integer("mcmc-steps")), walkers = 32;
    for (long long i = 0; i < nc; ++i) {
      std::vector<double> counts;
      std::array<double, kNumParams> truth{};
      resimulate(sim, d.index[i], counts, truth);
      const std::vector<float> net_draws(post.samples.begin() + i * n * kNumParams,
                                         post.samples.begin() + (i + 1) * n * kNumParams);
      const auto t0 = std::chrono::steady_clock::now();
      const std::vector<float> mc = mcmc_posterior(sim, l.scaling, counts, net_draws, walkers, steps, steps * 2 / 5,
                                                   seed + 100 + i);
      const double t_mc = seconds_since(t0);
      const std::string path = dir + "/corner_" + std::to_string(i) + ".svg";
      corner_plot(path, net_draws, n, mc, static_cast<std::int64_t>(mc.size()) / kNumParams, &post.truth[i * kNumParams],
                  "spectrum " + std::to_string(i), "MCMC");
      std::snprintf(buf, sizeof buf, "corner plot `%s`: %lld network draws vs %zu MCMC draws (%.1f s)\n\n", path.c_str(),
                    (long long)n, mc.size() / kNumParams, t_mc);
      md << buf;
    }
  }
  md << "plots: pred_vs_true.svg, coverage.svg\n";
  {
    std::ofstream f(dir + "/report.md");
    SPECNET_CHECK(f.good(), "cannot write ", dir, "/report.md (does --out-dir exist?)");
    f << md.str();
  }
  std::printf("%s", md.str().c_str());
  return 0;
}

int run_bhb(const Args& args) {
  const std::string usage =
      "specnet bhb train|sample|report|calibrate|oracle|ceiling|posterior [--help]: the spectral-posterior network (build data with `specnet dataset bhb`)\n";
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    std::printf("%s", usage.c_str());
    return args.empty() ? 2 : 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "train") return run_train(rest);
  if (args[0] == "sample") return run_sample(rest);
  if (args[0] == "report") return run_report(rest);
  if (args[0] == "calibrate") return run_bhb_calibrate(rest);
  if (args[0] == "oracle") return run_bhb_oracle(rest);
  if (args[0] == "ceiling") return run_bhb_ceiling(rest);
  if (args[0] == "posterior") return run_bhb_posterior(rest);
  throw Error(str("specnet bhb: unknown subcommand '", args[0], "'\n", usage));
}

RegisterDatasetKind reg_dataset{{"bhb", "NICER black-hole-binary spectra for the flow posterior network", run_dataset}};
RegisterCommand reg_bhb{{"bhb", "spectral posteriors: train (3 stages), sample (timed), report (PCC, coverage, PG-stat), calibrate (temperature), oracle (exact posterior), ceiling (exact posterior's NLL), posterior (real PHA spectra, refined)",
                         run_bhb}};

}  // namespace
}  // namespace specnet::cli
