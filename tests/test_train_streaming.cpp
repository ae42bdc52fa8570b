// Training data under a memory budget (issue #8): IC and BHB trainings give bitwise the same weights, histories and
// scores with the data in memory or streamed from disk, for 1 or 2 threads; a too-small budget is a clear Error; and
// the CLI's peak RSS stays flat when a file several times the budget is streamed.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "bhb_test_util.h"
#include "cli_test_util.h"
#include "harness.h"
#include "ic_test_util.h"
#include "specnet/bhb/train.h"
#include "specnet/context.h"
#include "specnet/ic/pipeline.h"
#include "specnet/ic/train.h"

using namespace specnet;

namespace {

std::vector<std::vector<double>> weights_of(const nn::Module& m) {
  std::vector<std::vector<double>> w;
  for (const auto& [name, t] : m.state_dict()) w.push_back(t.to_vector());
  return w;
}

// IC spectra: `copies` copies of the tiny truth-labelled split (120 spectra of 675 channels each).
ic::IcSpectra repeated_split(int copies) {
  const ic::IcSpectra one = test::tiny_truth_labelled_split();
  ic::IcSpectra s = one;
  for (int k = 1; k < copies; ++k) {
    s.kind.insert(s.kind.end(), one.kind.begin(), one.kind.end());
    s.truth.insert(s.truth.end(), one.truth.begin(), one.truth.end());
    s.fit_kt_kev.insert(s.fit_kt_kev.end(), one.fit_kt_kev.begin(), one.fit_kt_kev.end());
    s.fit_norm.insert(s.fit_norm.end(), one.fit_norm.begin(), one.fit_norm.end());
    s.counts.insert(s.counts.end(), one.counts.begin(), one.counts.end());
  }
  return s;
}

// BHB records of `bins` bins with positive rates and valid parameters (a toy, not a simulation).
void write_bhb_set(const std::string& path, std::int64_t n, std::int64_t bins, std::uint64_t seed) {
  bhb::DatasetHeader h;
  h.bins = bins;
  bhb::DatasetWriter w(path, h);
  Rng rng(seed);
  for (std::int64_t i = 0; i < n; ++i) {
    double th[bhb::kNumParams];
    for (int p = 0; p < bhb::kNumParams; ++p) th[p] = bhb::kParamLog[p] ? std::pow(10.0, rng.uniform(0, 1)) : rng.uniform(1.3, 4);
    bhb::GroupedSpectrum g;
    for (std::int64_t l = 0; l < bins; ++l) {
      const double rate = th[l * bhb::kNumParams / bins] * (1 + 0.05 * double(l)) * (1 + 0.02 * rng.normal());
      g.rate.push_back(static_cast<float>(rate));
      g.sigma.push_back(static_cast<float>(0.02 * std::fabs(rate) + 1e-3));
    }
    g.source_counts = 1e5;
    w.append(i, th, g);
  }
  w.close();
}

bhb::NetworkConfig toy_config() { return test::toy_bhb_config(0.1); }

double peak_rss_of(const std::string& out) {
  const auto at = out.find("peak memory (RSS): ");
  REQUIRE_MESSAGE(at != std::string::npos, out);
  return std::stod(out.substr(at + 19));
}

}  // namespace

TEST_CASE("ic training: bitwise the same weights, history and scores streamed or in memory, 1 or 2 threads") {
  const auto dir = test::fresh_temp_dir("specnet_test_ic_stream");
  const std::string path = (dir / "train.bin").string();
  const ic::IcSpectra s = repeated_split(3);  // 360 spectra, 972 kB of counts
  ic::write_ic_spectra(path, s);
  const ic::LabelScaler scaler = ic::fit_label_scaler(s);
  const std::int64_t bins = ic::network_bins(s.num_channels);
  const std::uint64_t budget = 800000;  // under the counts, above one evaluation batch (256 x 675 x 4 bytes)
  struct Out {
    bool streamed;
    std::vector<std::vector<double>> weights;
    std::vector<double> history, scores;
  };
  auto run = [&](const ic::ModelData& d, int threads) {
    set_num_threads(threads);
    Rng init(9, 7);
    nn::IcCae net(test::tiny_cae_config(bins), init);
    ic::TrainOptions t;
    t.epochs = 3;
    t.batch = 8;
    t.seed = 9;
    t.progress = false;
    std::vector<std::int64_t> tr, va;
    for (std::int64_t i = 0; i < s.size(); ++i) (i % 6 == 5 ? va : tr).push_back(i);
    const ic::TrainResult r = ic::train_ic_model(net, d, tr, va, t);
    Out o{d.counts.streamed(), weights_of(net), {}, ic::anomaly_scores(net, d, va)};
    for (const auto& e : r.history) o.history.insert(o.history.end(), {e.train_loss, e.val_loss, e.lr});
    set_num_threads(0);
    return o;
  };
  const Out mem = run(ic::make_model_data(ic::open_ic_spectra(path, 512u << 20), bins, false, &scaler), 1);
  const Out disk = run(ic::make_model_data(ic::open_ic_spectra(path, budget), bins, false, &scaler), 2);
  const Out built = run(ic::make_model_data(s, bins, false, &scaler), 2);
  CHECK(!mem.streamed);
  CHECK(disk.streamed);
  CHECK(disk.weights == mem.weights);
  CHECK(disk.history == mem.history);
  CHECK(disk.scores == mem.scores);
  CHECK(built.weights == mem.weights);
  // The training loop refuses a budget that cannot hold one streamed batch.
  const ic::ModelData tight = ic::make_model_data(ic::open_ic_spectra(path, 100000), bins, false, &scaler);
  nn::IcCaeConfig cfg;
  cfg.n_bins = bins;
  Rng init(1);
  nn::IcCae net(cfg, init);
  ic::TrainOptions t;
  t.progress = false;
  CHECK_THROWS_WITH(ic::train_ic_model(net, tight, {0, 1, 2}, {3, 4}, t),
                    doctest::Contains("does not fit the memory budget of 0.0953674 MiB"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("ic run: the same thresholds, Ra scores and latents with train.bin streamed") {
  const auto dir = test::fresh_temp_dir("specnet_test_ic_run_stream");
  ic::write_ic_spectra((dir / "train.bin").string(), repeated_split(4));  // 480 spectra, 1.24 MiB of counts
  ic::IcSimulationOptions o;
  o.seed = 5;
  o.e_max_kev = 30;
  o.progress = false;
  ic::write_ic_spectra((dir / "cv_ic.bin").string(), ic::simulate_ic_split({0, 120, false}, 1, o));
  ic::write_ic_spectra((dir / "test.bin").string(), ic::simulate_ic_split({12, 12, false}, 2, o));
  auto run = [&](std::int64_t budget_mb) {
    ic::PipelineOptions p;
    p.data_dir = dir.string();
    p.out_dir = (dir / ("report" + std::to_string(budget_mb))).string();
    p.folds = 3;
    p.cv_epochs = 1;
    p.epochs = 2;
    p.batch = 16;
    p.channels = {4, 8, 12, 16, 24};
    p.hidden = {16, 8};
    p.run_ae = false;
    p.run_fits = false;
    p.memory_budget_mb = budget_mb;
    return ic::run_ic_pipeline(p);
  };
  const ic::IcResults disk = run(1), mem = run(512);
  CHECK(disk.figures.at("streamed_files") == 1);
  CHECK(mem.figures.at("streamed_files") == 0);
  CHECK(disk.thresholds == mem.thresholds);
  CHECK(disk.cv_thresholds == mem.cv_thresholds);
  REQUIRE(disk.rows.size() == 24);
  for (std::size_t i = 0; i < disk.rows.size(); ++i) {
    CHECK(disk.rows[i].ra_cae == mem.rows[i].ra_cae);
    CHECK(disk.rows[i].p_value == mem.rows[i].p_value);
    CHECK(disk.rows[i].latent == mem.rows[i].latent);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("bhb training: stages 1 and 2 give bitwise the same weights streamed or in memory, 1 or 2 threads") {
  const auto dir = test::fresh_temp_dir("specnet_test_bhb_stream");
  const std::string path = (dir / "set.bhb").string();
  write_bhb_set(path, 400, 40, 5);  // 400 x 320 bytes of rate and sigma rows
  struct Out {
    bool streamed;
    std::vector<std::vector<double>> weights;
    std::vector<double> history;
    double log_max;
  };
  auto run = [&](std::uint64_t budget, int threads) {
    set_num_threads(threads);
    const bhb::DatasetSource all = bhb::open_dataset(path, budget);
    const bhb::DatasetSource train = all.slice(0, 340), val = all.slice(340, 400);
    const bhb::Scaling sc = bhb::Scaling::fit(train);
    Rng rng(5);
    bhb::Network net(toy_config(), rng);
    bhb::TrainOptions o;
    o.max_epochs = 2;
    o.batch = 12;
    o.seed = 3;
    o.progress = false;
    Out out{all.spectra.streamed(), {}, {}, sc.log_max};
    for (int stage : {1, 2}) {
      o.stage = stage;
      for (const auto& e : bhb::train_stage(net, sc, train, val, o).history)
        out.history.insert(out.history.end(), {e.train_loss, e.val_loss, e.lr});
    }
    out.weights = weights_of(net);
    set_num_threads(0);
    return out;
  };
  const Out mem = run(512u << 20, 1), disk = run(100000, 2);  // 128 kB of rows; one evaluation batch is 82 kB
  CHECK(!mem.streamed);
  CHECK(disk.streamed);
  CHECK(disk.log_max == mem.log_max);
  CHECK(disk.history == mem.history);
  CHECK(disk.weights == mem.weights);
  // The in-memory Dataset path (read_dataset) agrees with both.
  {
    const bhb::Dataset d = bhb::read_dataset(path);
    CHECK(bhb::Scaling::fit(d.slice(0, 340)).log_max == mem.log_max);
  }
  const bhb::DatasetSource tight = bhb::open_dataset(path, 20000);
  Rng rng(5);
  bhb::Network net(toy_config(), rng);
  bhb::TrainOptions o;
  o.progress = false;
  o.batch = 12;
  CHECK_THROWS_WITH(bhb::train_stage(net, bhb::Scaling::fit(tight), tight.slice(0, 340), tight.slice(340, 400), o),
                    doctest::Contains("does not fit the memory budget"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: ic train and bhb train stream a file 11x the budget with flat peak RSS") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = test::fresh_temp_dir("specnet_test_stream_rss");
  // IC: 600 spectra (1.5 MiB of counts) and 4,800 (12.4 MiB) under a 1 MiB budget, half of each validating (both
  // evaluate in full batches of 256), with a narrow CAE: its activations are the noise floor of peak RSS.
  for (int copies : {5, 40}) {
    std::filesystem::create_directories(dir / ("ic" + std::to_string(copies)));
    ic::write_ic_spectra((dir / ("ic" + std::to_string(copies)) / "train.bin").string(), repeated_split(copies));
  }
  auto ic_train = [&](int copies, int budget_mb) {
    const auto [rc, out] = test::run_cli(
        "ic train --data " + (dir / ("ic" + std::to_string(copies))).string() + " --out " + (dir / "w.safetensors").string() +
            " --epochs 1 --batch 32 --folds 2 --channels 1,2,3,4,5 --hidden 8,4 --memory-budget-mb " +
            std::to_string(budget_mb),
        "SPECNET_NUM_THREADS=1");
    REQUIRE_MESSAGE(rc == 0, out);
    CHECK(out.find(budget_mb == 1 ? "streamed from disk" : "in memory") != std::string::npos);
    return peak_rss_of(out);
  };
  const double ic_small = ic_train(5, 1), ic_big = ic_train(40, 1), ic_big_mem = ic_train(40, 512);
  MESSAGE("ic train peak RSS: 600 spectra ", ic_small, " MiB; 4,800 streamed ", ic_big, " MiB; in memory ", ic_big_mem, " MiB");
  CHECK(ic_big - ic_small < 3.0);    // 10.9 MiB more counts, streamed (metadata: ~100 bytes per spectrum)
  CHECK(ic_big_mem - ic_big > 8.0);  // the same file in memory: the check above can fail
  // BHB: 1,500 spectra (2.7 MiB of rate and sigma rows) and 6,000 (11 MiB) under a 1 MiB budget, half validating.
  write_bhb_set((dir / "small.bhb").string(), 1500, 240, 1);
  write_bhb_set((dir / "big.bhb").string(), 6000, 240, 2);
  auto bhb_train = [&](const char* set, int budget_mb) {
    const auto [rc, out] = test::run_cli("bhb train --data " + (dir / set).string() + " --stage 1 --epochs 1 --batch 60 --val-fraction 0.5 "
                                         "--threads 1 --memory-budget-mb " + std::to_string(budget_mb) + " --out " +
                                         (dir / "b.safetensors").string());
    REQUIRE_MESSAGE(rc == 0, out);
    return peak_rss_of(out);
  };
  const double b_small = bhb_train("small.bhb", 1), b_big = bhb_train("big.bhb", 1), b_big_mem = bhb_train("big.bhb", 512);
  MESSAGE("bhb train peak RSS: 1,500 spectra ", b_small, " MiB; 6,000 streamed ", b_big, " MiB; in memory ", b_big_mem, " MiB");
  CHECK(b_big - b_small < 3.0);
  CHECK(b_big_mem - b_big > 8.0);
  std::filesystem::remove_all(dir);
}
