// IC-search training on the GPU: `ic train` / the pipeline with device cuda must follow the CPU run to float32
// round-off (PyTorch's model.to("cuda") training), resume from device checkpoints, and refuse cuda clearly without one.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include <sys/wait.h>

#include "cli_test_util.h"
#include "harness.h"
#include "ic_test_util.h"
#include "specnet/ic/pipeline.h"
#include "specnet/ic/train.h"
#include "specnet/io/checkpoint.h"

using namespace specnet;
using namespace specnet::ic;
using specnet::test::kCli;
using specnet::test::run_cli;

namespace {

// 120 small 2T spectra with truth labels: rows 0..95 train, 96..119 validate.
ModelData tiny_data() {
  IcSpectra s = test::tiny_truth_labelled_split();
  std::vector<double> raw;
  for (std::int64_t i = 0; i < s.size(); ++i)
    for (double v : raw_labels(s, i)) raw.push_back(v);
  LabelScaler scaler;
  scaler.fit(raw, s.size());
  return make_model_data(s, network_bins(s.num_channels), false, &scaler);
}

nn::IcCaeConfig tiny_config(std::int64_t bins) { return test::tiny_cae_config(bins); }

// Entries that round-off steers: a bias in front of a BatchNorm has a gradient that is round-off only (the norm
// removes the mean), which Adam turns into steps of up to lr of either sign, and the norm's running mean follows it.
bool roundoff_driven(const std::string& name) {
  auto ends = [&](const std::string& s) { return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0; };
  return ends("conv1.bias") || ends("conv2.bias") || ends("resize.0.bias") || name == "encoder.layers.0.bias" ||
         ends("running_mean");
}

struct Run {
  TrainResult result;
  std::vector<std::string> names;
  std::vector<std::vector<double>> weights;  // state_dict values (parameters and buffers), on the CPU
  std::vector<double> scores;                // Ra of the validation rows
};

Run train(const ModelData& d, Device device, std::int64_t epochs, const std::string& checkpoint) {
  Rng init(9, 7);
  nn::IcCae net(tiny_config(d.bins), init);
  TrainOptions t;
  t.epochs = epochs;
  t.batch = 16;
  t.lr = 1e-3;
  t.seed = 9;
  t.progress = false;
  t.device = device;
  t.checkpoint = checkpoint;
  t.resume = !checkpoint.empty();
  t.fingerprint = "device test";
  const std::vector<std::int64_t> rows = all_rows(d.size());
  const std::vector<std::int64_t> tr(rows.begin(), rows.begin() + 96), va(rows.begin() + 96, rows.end());
  Run r;
  r.result = train_ic_model(net, d, tr, va, t);
  for (const auto& [n, p] : net.named_parameters()) CHECK_MESSAGE(p.device() == device, n, " left the device");
  for (const auto& [n, v] : net.state_dict()) r.names.push_back(n), r.weights.push_back(v.to_vector());
  r.scores = anomaly_scores(net, d, va);
  return r;
}

std::vector<std::vector<double>> initial_weights(const ModelData& d) {
  Rng init(9, 7);
  nn::IcCae net(tiny_config(d.bins), init);
  std::vector<std::vector<double>> w;
  for (const auto& [n, v] : net.state_dict()) w.push_back(v.to_vector());
  return w;
}

// Largest |a - b| over all tensors, or (names given) over those that round-off steers or not.
double max_abs_diff(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b,
                    const std::vector<std::string>* names = nullptr, bool roundoff = false) {
  REQUIRE(a.size() == b.size());
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (names && roundoff_driven((*names)[i]) != roundoff) continue;
    REQUIRE(a[i].size() == b[i].size());
    for (std::size_t j = 0; j < a[i].size(); ++j) m = std::max(m, std::fabs(a[i][j] - b[i][j]));
  }
  return m;
}

// L2 norm of a - b over the trained tensors that round-off does not steer (names: those of a).
double l2_diff(const std::vector<std::string>& names, const std::vector<std::vector<double>>& a,
               const std::vector<std::vector<double>>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (roundoff_driven(names[i]) || names[i].find("num_batches_tracked") != std::string::npos) continue;
    for (std::size_t j = 0; j < a[i].size(); ++j) s += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j]);
  }
  return std::sqrt(s);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("ic train on cuda: the weights follow the CPU run, and device checkpoints resume") {
  if (test::available_devices().size() < 2) {
    MESSAGE(test::cuda_skip_reason());
    return;
  }
  const ModelData d = tiny_data();
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_ic_device";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::int64_t epochs = 3;
  const Run cpu = train(d, Device::cpu, epochs, "");
  const Run gpu = train(d, Device::cuda, epochs, (dir / "full.ckpt").string());

  // Same trajectory. Training losses and the weights agree to float32 round-off; the entries round-off steers
  // (roundoff_driven) differ by up to a few lr, and through the running means eval-mode results by a few 0.1 %
  // (measured on the CPU: a 1e-7 relative change of the initial weights moves the validation loss 0.2 % and Ra
  // 0.1 %, 1e-6 moves them 0.4 % and 1.6 %, while the other weights move < 1e-5 of their update).
  REQUIRE(cpu.result.history.size() == std::size_t(epochs));
  REQUIRE(gpu.result.history.size() == std::size_t(epochs));
  for (std::int64_t e = 0; e < epochs; ++e) {
    CHECK(gpu.result.history[e].train_loss == doctest::Approx(cpu.result.history[e].train_loss).epsilon(1e-4));
    CHECK(gpu.result.history[e].val_loss == doctest::Approx(cpu.result.history[e].val_loss).epsilon(2e-2));
  }
  CHECK(gpu.result.best_epoch == cpu.result.best_epoch);
  const auto w0 = initial_weights(d);
  const double update = l2_diff(cpu.names, cpu.weights, w0), gap = l2_diff(cpu.names, gpu.weights, cpu.weights);
  const double max_gap = max_abs_diff(gpu.weights, cpu.weights, &cpu.names, false);
  const double max_roundoff = max_abs_diff(gpu.weights, cpu.weights, &cpu.names, true);
  MESSAGE("cuda vs cpu: |dw| ", update, ", |w_cuda - w_cpu| ", gap, " (max ", max_gap, "), round-off-steered entries: max ",
          max_roundoff);
  REQUIRE(update > 1);
  CHECK(gap <= 1e-3 * update);
  CHECK(max_gap <= 1e-3);
  CHECK(max_roundoff <= 0.05);  // 2 lr per step at most: 18 steps of 1e-3 (a sanity bound)
  REQUIRE(gpu.scores.size() == cpu.scores.size());
  for (std::size_t i = 0; i < cpu.scores.size(); ++i) CHECK(gpu.scores[i] == doctest::Approx(cpu.scores[i]).epsilon(5e-2));

  // The best weights were saved from the device: the .best file holds exactly the final weights.
  {
    Rng init(0, 0);
    nn::IcCae copy(tiny_config(d.bins), init);
    load_checkpoint((dir / "full.ckpt.best").string(), copy);
    std::vector<std::vector<double>> w;
    for (const auto& [n, v] : copy.state_dict()) w.push_back(v.to_vector());
    CHECK(max_abs_diff(w, gpu.weights) == 0.0);
  }
  // Stop after epoch 1 and resume on the device to the end: the uninterrupted cuda run's weights (the GPU is
  // deterministic run to run).
  const std::string part = (dir / "part.ckpt").string();
  train(d, Device::cuda, 1, part);
  const Run resumed = train(d, Device::cuda, epochs, part);
  CHECK(resumed.result.history.size() == std::size_t(epochs));
  CHECK(max_abs_diff(resumed.weights, gpu.weights) <= 1e-6);
  std::filesystem::remove_all(dir);
}

TEST_CASE("ic device: --device cuda without a usable GPU is refused before any data work; bad --device values") {
  if (std::filesystem::exists(kCli)) {
    int rc = 0;
    std::string out;
    std::tie(rc, out) = run_cli("ic train --data /nonexistent --out /nonexistent/w.safetensors --device gpu");
    CHECK(rc == 1);
    CHECK_MESSAGE(out.find("option --device: 'gpu' must be cpu or cuda") != std::string::npos, out);
  }
  if (test::available_devices().size() > 1) {
    MESSAGE("skipped: a GPU is present, so --device cuda is accepted");
    return;
  }
  const std::string expected = "device cuda is not available: ";
  // The library: train_ic_model checks before anything else (here the data would be refused too).
  Rng init(1, 7);
  nn::IcCae net(tiny_config(16), init);
  TrainOptions t;
  t.device = Device::cuda;
  const std::string e1 = error_of([&] { train_ic_model(net, ModelData{}, {0}, {0}, t); });
  CHECK_MESSAGE(e1.find("train_ic_model: " + expected) != std::string::npos, e1);
  // The pipeline refuses before reading its (missing) data files.
  PipelineOptions p;
  p.data_dir = "/nonexistent";
  p.out_dir = (std::filesystem::temp_directory_path() / "specnet_test_ic_device_nowhere").string();
  p.device = Device::cuda;
  const std::string e2 = error_of([&] { run_ic_pipeline(p); });
  CHECK_MESSAGE(e2.find("IC pipeline: " + expected) != std::string::npos, e2);
  CHECK(!std::filesystem::exists(p.out_dir));
  // The CLI: exit status 1 and the same message, before it looks for the data.
  if (std::filesystem::exists(kCli)) {
    int rc = 0;
    std::string out;
    std::tie(rc, out) = run_cli("ic train --data /nonexistent --out /nonexistent/w.safetensors --device cuda");
    CHECK(rc == 1);
    CHECK_MESSAGE(out.find("ic train: " + expected) != std::string::npos, out);
    std::tie(rc, out) = run_cli("ic run --data /nonexistent --out " + p.out_dir + " --device cuda");
    CHECK(rc == 1);
    CHECK_MESSAGE(out.find("IC pipeline: " + expected) != std::string::npos, out);
    CHECK(!std::filesystem::exists(p.out_dir));
  }
}
