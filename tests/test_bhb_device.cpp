// BHB training on the GPU: `bhb train --device cuda` must follow the CPU run to float32 round-off (stage 1 and a
// stage 2 with all three loss terms), save checkpoints that load on the CPU, resume on the device, and be refused
// clearly, before any data work, where no GPU is usable; the flow's calibrated bases (scaled normal, Student t) give
// the CPU's densities and draws on the device. The GPU cases skip with a message without one.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "bhb_test_util.h"
#include "cli_test_util.h"
#include "harness.h"
#include "specnet/autograd.h"
#include "specnet/bhb/train.h"

using namespace specnet;

namespace {

struct Run {
  std::vector<bhb::EpochRecord> history;
  std::vector<std::vector<double>> weights;  // state_dict order, on the host
};

std::vector<std::vector<double>> weights_of(const nn::Module& m) {
  std::vector<std::vector<double>> w;
  for (const auto& [k, v] : m.state_dict()) w.push_back(v.to_vector());
  return w;
}

double l2_diff(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a[i].size(); ++j) s += (a[i][j] - b[i][j]) * (a[i][j] - b[i][j]);
  return std::sqrt(s);
}

// Stage 1 for two epochs, then stage 2 (decoder frozen, equal loss weights: the GRU runs forward and backward) for
// `stage2_epochs`, from the same initial weights on either device. `ckpt` checkpoints stage 2 (and resumes it).
Run train(Device device, std::int64_t stage2_epochs, const std::string& ckpt) {
  const bhb::Dataset train = test::toy_set(96, 21), val = test::toy_set(32, 22);
  const bhb::Scaling sc = bhb::Scaling::fit(train);
  Rng init(7);
  bhb::Network net(test::toy_bhb_config(), init);
  bhb::TrainOptions o;
  o.batch = 16;
  o.progress = false;
  o.device = device;
  o.stage = 1;
  o.max_epochs = 2;
  o.lr = 3e-3;
  Run r;
  for (const auto& e : bhb::train_stage(net, sc, train, val, o).history) r.history.push_back(e);
  CHECK(net.device() == device);
  o.stage = 2;
  o.max_epochs = stage2_epochs;
  o.checkpoint = ckpt;
  o.resume = !ckpt.empty();
  for (const auto& e : bhb::train_stage(net, sc, train, val, o).history) r.history.push_back(e);
  r.weights = weights_of(net);
  return r;
}

}  // namespace

TEST_CASE("bhb train on cuda: stages 1 and 2 follow the CPU run; device checkpoints load on the CPU and resume") {
  if (test::available_devices().size() < 2) {
    MESSAGE("bhb train on cuda: ", test::cuda_skip_reason());
    return;
  }
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_bhb_device";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const Run cpu = train(Device::cpu, 3, "");
  const std::string full = (dir / "full.safetensors").string();
  const Run gpu = train(Device::cuda, 3, full);
  REQUIRE(gpu.history.size() == cpu.history.size());
  for (std::size_t e = 0; e < cpu.history.size(); ++e) {
    CAPTURE(e);
    CHECK(gpu.history[e].train_loss == doctest::Approx(cpu.history[e].train_loss).epsilon(1e-3));
    CHECK(gpu.history[e].val_loss == doctest::Approx(cpu.history[e].val_loss).epsilon(1e-2));
  }
  Rng init(7);
  const bhb::Network initial(test::toy_bhb_config(), init);
  const double update = l2_diff(weights_of(initial), cpu.weights), gap = l2_diff(gpu.weights, cpu.weights);
  MESSAGE("bhb cuda vs cpu: |dw| ", update, ", |w_cuda - w_cpu| ", gap);
  REQUIRE(update > 0.1);
  CHECK(gap <= 1e-2 * update);

  // The best checkpoint was written from the device and loads on the CPU.
  bhb::LoadedNetwork loaded = bhb::load_network(full);
  CHECK(loaded.net->device() == Device::cpu);
  CHECK(loaded.stage == 2);

  // Stage 2 stopped after one epoch and resumed on the device to the end: the uninterrupted cuda run.
  const std::string part = (dir / "part.safetensors").string();
  train(Device::cuda, 1, part);
  const Run resumed = train(Device::cuda, 3, part);
  CHECK(l2_diff(resumed.weights, gpu.weights) <= 1e-6 * update);
  std::filesystem::remove_all(dir);
}

TEST_CASE("bhb device: cuda without a usable GPU is refused before any data work; bad --device values") {
  if (std::filesystem::exists(test::kCli)) {
    const auto [rc, out] = test::run_cli("bhb train --data /nonexistent.bhb --device gpu");
    CHECK(rc == 1);
    CHECK_MESSAGE(out.find("option --device: 'gpu' must be cpu or cuda") != std::string::npos, out);
  }
  if (test::available_devices().size() > 1) {
    MESSAGE("skipped: a GPU is present, so --device cuda is accepted");
    return;
  }
  const std::string expected = "bhb train: device cuda is not available: ";
  const bhb::Dataset train = test::toy_set(32, 1), val = test::toy_set(8, 2);
  Rng init(3);
  bhb::Network net(test::toy_bhb_config(), init);
  bhb::TrainOptions o;
  o.device = Device::cuda;
  o.batch = 16;
  std::string e;
  try {
    bhb::train_stage(net, bhb::Scaling::fit(train), train, val, o);
  } catch (const Error& err) {
    e = err.what();
  }
  CHECK_MESSAGE(e.find(expected) != std::string::npos, e);
  CHECK(net.device() == Device::cpu);  // refused before anything moved
  if (std::filesystem::exists(test::kCli)) {
    // The CLI refuses before opening the (missing) data file.
    const auto [rc, out] = test::run_cli("bhb train --data /nonexistent.bhb --device cuda");
    CHECK(rc == 1);
    CHECK_MESSAGE(out.find(expected) != std::string::npos, out);
  }
}

TEST_CASE("bhb flow base on cuda: log_prob and rsample with a scaled normal and a Student-t base follow the CPU") {
  if (test::available_devices().size() < 2) {
    MESSAGE("bhb flow base on cuda: ", test::cuda_skip_reason());
    return;
  }
  for (const auto& [scale, df] : {std::pair<double, double>{1.3, 0}, std::pair<double, double>{0.85, 6}}) {
    CAPTURE(scale);
    CAPTURE(df);
    Rng init(3);
    bhb::Network cpu(test::toy_bhb_config(), init), gpu(test::toy_bhb_config(), init);
    gpu.load_state_dict(cpu.state_dict());
    for (bhb::Network* n : {&cpu, &gpu}) n->flow->options.base_scale = scale, n->flow->options.base_df = df;
    gpu.to(Device::cuda);
    Rng data(4);
    const Tensor theta = Tensor::randn({16, 5}, data), ctx = Tensor::randn({16, 24}, data);
    NoGradGuard ng;
    const auto lp_cpu = cpu.flow->log_prob(theta, ctx).to_vector();
    const auto lp_gpu = gpu.flow->log_prob(theta.to(Device::cuda), ctx.to(Device::cuda)).to_vector();
    double worst = 0;
    for (std::size_t i = 0; i < lp_cpu.size(); ++i) worst = std::max(worst, std::abs(lp_cpu[i] - lp_gpu[i]));
    CHECK(worst < 1e-3);
    // The same Rng draws the same noise and radial factors on the host for either device.
    Rng a(5), b(5);
    const nn::FlowSample sc = cpu.flow->rsample(8, ctx, a, true), sg = gpu.flow->rsample(8, ctx.to(Device::cuda), b, true);
    const auto xc = sc.samples.to_vector(), xg = sg.samples.to_vector();
    const auto qc = sc.log_prob.to_vector(), qg = sg.log_prob.to_vector();
    worst = 0;
    for (std::size_t i = 0; i < xc.size(); ++i) worst = std::max(worst, std::abs(xc[i] - xg[i]));
    CHECK(worst < 1e-3);
    worst = 0;
    for (std::size_t i = 0; i < qc.size(); ++i) worst = std::max(worst, std::abs(qc[i] - qg[i]));
    CHECK(worst < 1e-2);
  }
}
