// `specnet dataset ic` (the IC paper's simulated spectra), `specnet ic train` (one CAE / AE training with
// per-epoch checkpoints and --resume), `specnet ic run` (CV thresholds, models, fits, report), `specnet ic report`.
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "command.h"
#include "ic_options.h"
#include "specnet/context.h"
#include "specnet/cuda/runtime.h"
#include "specnet/error.h"
#include "specnet/ic/metrics.h"
#include "specnet/ic/train.h"
#include "specnet/io/safetensors.h"
#include "specnet/sim/resources.h"

namespace specnet::cli {
namespace {

int run_dataset(const Args& args) {
  SPECNET_CHECK(!args.empty() && args[0] == "ic", "dataset: the only dataset is 'ic' (specnet dataset ic --out DIR)");
  auto table = dataset_option_table({});
  table["out"] = "|output directory (train.bin, cv_ic.bin, test.bin)";
  Options opt(Args(args.begin() + 1, args.end()), table);
  if (opt.help()) {
    std::printf("specnet dataset ic: simulate the IC paper's 2T / 1T+IC NuSTAR spectra (1 Ms, nuskybgd background)\n%s",
                opt.usage().c_str());
    return 0;
  }
  SPECNET_CHECK(!opt.str("out").empty(), "dataset ic: --out DIR is required");
  ic::IcDatasetSizes sizes;
  ic::IcSimulationOptions sim;
  read_dataset_options(opt, sizes, sim);
  ic::write_ic_dataset(opt.str("out"), sizes, sim);
  return 0;
}

// One training run on train.bin: rows whose fold (of `folds`, seeded) is 0 validate, the rest train.
int run_train(const Args& args) {
  Options opt(args, {{"data", "|dataset directory"},
                     {"out", "|final weights (safetensors)"},
                     {"model", "cae|cae (latent constrained) or ae"},
                     {"epochs", "300|epochs"},
                     {"batch", "150|batch size"},
                     {"lr", "0.01|Adam learning rate"},
                     {"folds", "10|validation = one fold of this many"},
                     {"seed", "0|seed"},
                     {"channels", "4,16,32,64,128|channel widths"},
                     {"hidden", "500,50|hidden widths"},
                     {"log-input", "0|log10(1 + counts) / 5 input"},
                     {"checkpoint", "|checkpoint file, written atomically every epoch"},
                     {"resume", "0|continue from --checkpoint when it exists"},
                     {"time-limit", "0|wall-clock seconds for this call: stop before an epoch that would end later "
                                    "(needs --checkpoint; --resume continues; 0: none)"},
                     {"device", "cpu|where the network trains: cpu or cuda"},
                     {"memory-budget-mb", "0|memory for the spectra, MiB: a larger train.bin is streamed from disk (0: "
                                          "SPECNET_MEMORY_BUDGET_MB or 512)"}});
  if (opt.help()) { std::printf("specnet ic train: train one CAE / AE\n%s", opt.usage().c_str()); return 0; }
  SPECNET_CHECK(!opt.str("data").empty() && !opt.str("out").empty(), "ic train: --data and --out are required");
  SPECNET_CHECK(opt.str("model") == "cae" || opt.str("model") == "ae", "ic train: --model must be cae or ae");
  const Device device = opt.device();
  cuda::require_usable(device, "ic train");  // before reading any data
  const std::uint64_t budget = io::training_budget_bytes(opt.integer("memory-budget-mb"));
  const ic::IcSpectraSource s = ic::open_ic_spectra(opt.str("data") + "/train.bin", budget);
  const ic::LabelScaler scaler = ic::fit_label_scaler(s.meta);
  const std::int64_t bins = ic::network_bins(s.meta.num_channels);
  const ic::ModelData d = ic::make_model_data(s, bins, opt.flag("log-input"), &scaler);
  const auto seed = static_cast<std::uint64_t>(opt.integer("seed"));
  const auto fold = ic::cv_folds(s.size(), static_cast<int>(opt.integer("folds")), seed);
  std::vector<std::int64_t> tr, va;
  for (std::int64_t i = 0; i < s.size(); ++i) (fold[i] == 0 ? va : tr).push_back(i);
  nn::IcCaeConfig cfg;
  cfg.n_bins = bins;
  cfg.channels = opt.int_list("channels");
  cfg.hidden = opt.int_list("hidden");
  Rng init(seed, 7);
  nn::IcCae net(cfg, init);
  ic::TrainOptions t;
  t.constraint_weight = opt.str("model") == "cae" ? 0.1 : 0.0;
  t.epochs = opt.integer("epochs");
  t.batch = opt.integer("batch");
  t.lr = opt.num("lr");
  t.seed = seed;
  t.checkpoint = opt.str("checkpoint");
  t.resume = opt.flag("resume");
  t.time_limit_s = opt.num("time-limit");
  SPECNET_CHECK(t.time_limit_s >= 0, "ic train: --time-limit must be >= 0 seconds (0: none)");
  SPECNET_CHECK(t.time_limit_s == 0 || !t.checkpoint.empty(),
                "ic train: --time-limit needs --checkpoint (else the stopped run could not be continued)");
  t.tag = opt.str("model");
  t.device = device;
  t.fingerprint = "ic train " + std::to_string(tr.size()) + "/" + std::to_string(va.size()) + " bins " +
                  std::to_string(bins) + " " + opt.str("model") + " batch " + opt.str("batch") + " lr " + opt.str("lr") +
                  " channels " + opt.str("channels") + " hidden " + opt.str("hidden");
  std::printf("ic train: %lld training, %lld validation spectra, %lld bins, %lld parameters, %d threads, device %s; "
              "%.1f MiB of counts %s (budget %.0f MiB)\n",
              (long long)tr.size(), (long long)va.size(), (long long)bins, (long long)net.num_parameters(), num_threads(),
              device_name(device), double(s.size()) * double(s.meta.num_channels) * 4 / (1 << 20),
              d.counts.streamed() ? "streamed from disk" : "in memory", double(budget) / (1 << 20));
  const ic::TrainResult r = ic::train_ic_model(net, d, tr, va, t);
  save_safetensors(opt.str("out"), net.state_dict(), {{"best_epoch", std::to_string(r.best_epoch)}});
  if (r.stopped_on_time)
    std::printf("ic train: stopped on the time limit after epoch %zu of %lld: the weights below are the best so far; "
                "continue with the same options and --resume\n", r.history.size(), (long long)t.epochs);
  std::printf("ic train: best epoch %lld, val loss %.6e, %.0f spectra/s; weights in %s\npeak memory (RSS): %.1f MiB\n",
              (long long)r.best_epoch, r.best_val_loss, r.spectra_per_s, opt.str("out").c_str(), sim::peak_rss_mb());
  return 0;
}

int run_pipeline(const Args& args) {
  ic::PipelineOptions defaults;
  Options opt(args, pipeline_option_table(defaults));
  if (opt.help()) {
    std::printf("specnet ic run: CV thresholds, CAE and AE, fitting baseline, combined detector and report\n%s",
                opt.usage().c_str());
    return 0;
  }
  ic::PipelineOptions p;
  read_pipeline_options(opt, p);
  const ic::IcResults r = ic::run_ic_pipeline(p);
  print_ic_summary(r, p.out_dir);
  return 0;
}

int run_report(const Args& args) {
  Options opt(args, {{"dir", "|report directory of `specnet ic run` (re-rendered from scores.csv / results.csv)"}});
  if (opt.help()) { std::printf("specnet ic report: re-render a report\n%s", opt.usage().c_str()); return 0; }
  SPECNET_CHECK(!opt.str("dir").empty(), "ic report: --dir is required");
  const ic::IcResults r = ic::read_ic_results(opt.str("dir"));
  ic::write_ic_report(r, opt.str("dir"));
  print_ic_summary(r, opt.str("dir"));
  return 0;
}

int run_ic(const Args& args) {
  const std::string usage =
      "usage: specnet ic <train|run|report> [options]   (specnet ic <sub> --help)\n"
      "  train   train one CAE / AE on <data>/train.bin with per-epoch checkpoints (--resume)\n"
      "  run     the whole IC search: CV thresholds, CAE, AE, fitting baseline, combined detector, report\n"
      "  report  re-render a report directory\n";
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::printf("%s", usage.c_str());
    return args.empty() ? 2 : 0;
  }
  const Args rest(args.begin() + 1, args.end());
  if (args[0] == "train") return run_train(rest);
  if (args[0] == "run") return run_pipeline(rest);
  if (args[0] == "report") return run_report(rest);
  SPECNET_CHECK(false, "ic: unknown subcommand '", args[0], "'\n", usage);
  return 2;
}

RegisterDatasetKind reg_dataset{{"ic", "the IC paper's 2T / 1T+IC NuSTAR cluster spectra", run_dataset}};
RegisterCommand reg_ic{{"ic", "IC search: train (one model), run (everything + report), report (re-render)", run_ic}};

}  // namespace
}  // namespace specnet::cli
