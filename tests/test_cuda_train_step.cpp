// Whole training steps on the GPU against the CPU: the IC CAE (loss, every parameter gradient, Adam update and
// batchnorm running statistics), the spline flow (-log q backward + Adam, and posterior draws) and the multi-layer
// bidirectional GRU module. float64 pins the maths down tightly, float32 checks the training dtype. Skipped with a
// message when no GPU is usable.
#include <utility>

#include "cuda_test_util.h"
#include "harness.h"
#include "specnet/autograd.h"
#include "specnet/nn/gru.h"
#include "specnet/nn/ic_cae.h"
#include "specnet/nn/spline_flow.h"
#include "specnet/ops.h"
#include "specnet/optim/adam.h"

using namespace specnet;

namespace {

// Tolerances relative to each tensor's scale: float64 differs only by summation order; float32 passes the
// rounding of ~20 layers through batchnorm, so gradients get a looser bound.
double rtol(DType dt) { return dt == DType::f64 ? 1e-8 : 2e-3; }

// Parameters after `steps` Adam steps of learning rate lr. Adam normalises each gradient by its own size, so a
// gradient that is zero up to rounding (a conv bias before batchnorm) moves by up to lr in a direction set by the
// rounding: in float32 the two devices may differ by that much. float64 rounding stays far below Adam's eps, so
// there the bound stays tight and checks the update itself.
double param_tol(DType dt, double lr, int steps) { return dt == DType::f64 ? 1e-8 : rtol(dt) + 2 * lr * steps; }

// Every entry of the GPU module's list matches the CPU module's (values, or .grad with `grads`).
void check_named(const nn::NamedTensors& gpu, const nn::NamedTensors& cpu, double tol, bool grads,
                 const std::string& what) {
  REQUIRE(gpu.size() == cpu.size());
  for (std::size_t i = 0; i < cpu.size(); ++i) {
    REQUIRE(gpu[i].first == cpu[i].first);
    const Tensor a = grads ? cpu[i].second.grad() : cpu[i].second;
    const Tensor b = grads ? gpu[i].second.grad() : gpu[i].second;
    REQUIRE_MESSAGE(a.defined() == b.defined(), what, " ", cpu[i].first, ": defined on one device only");
    if (!a.defined()) continue;
    CHECK(b.device() == Device::cuda);
    test::check_close(b, a, tol, what + " " + cpu[i].first);
  }
}

}  // namespace

TEST_CASE("cuda IcCae training step matches the CPU: loss, gradients, Adam update, running statistics") {
  if (!test::gpu_present("CUDA IcCae training-step parity")) return;
  for (DType dt : {DType::f64, DType::f32}) {
    CAPTURE(dtype_name(dt));
    nn::IcCaeConfig cfg;
    cfg.n_bins = 64;  // 4 stride-2 blocks: lengths 32, 16, 8, 4, 2
    cfg.hidden = {24, 12};
    Rng r_cpu(7), r_gpu(7);
    nn::IcCae cpu_net(cfg, r_cpu), gpu_net(cfg, r_gpu);
    cpu_net.to(dt);
    gpu_net.to(dt);
    gpu_net.to(Device::cuda);
    Rng data(8);
    const Tensor x = Tensor::rand({6, 1, cfg.n_bins}, data, 0.0, 1.0, dt);
    const Tensor label = Tensor::rand({6, cfg.latent}, data, 0.0, 1.0, dt);
    const Tensor xg = x.to(Device::cuda), label_g = label.to(Device::cuda);
    optim::AdamOptions o;
    o.lr = 1e-3;
    optim::Adam adam_cpu(cpu_net.named_parameters(), o), adam_gpu(gpu_net.named_parameters(), o);
    for (int step = 0; step < 2; ++step) {  // the second step runs on device-resident Adam moments
      CAPTURE(step);
      adam_cpu.zero_grad();
      adam_gpu.zero_grad();
      Tensor loss_cpu = nn::ic_cae_loss(cpu_net.run(x), x, label, 0.1);
      Tensor loss_gpu = nn::ic_cae_loss(gpu_net.run(xg), xg, label_g, 0.1);
      REQUIRE(loss_gpu.device() == Device::cuda);
      loss_cpu.backward();
      loss_gpu.backward();
      test::check_close(loss_gpu, loss_cpu, rtol(dt) * 0.1, "IcCae loss");
      check_named(gpu_net.named_parameters(), cpu_net.named_parameters(), rtol(dt), true, "IcCae grad");
      adam_cpu.step();
      adam_gpu.step();
      check_named(gpu_net.named_parameters(), cpu_net.named_parameters(), param_tol(dt, o.lr, step + 1), false,
                  "IcCae param");
      check_named(gpu_net.named_buffers(), cpu_net.named_buffers(), rtol(dt), false, "IcCae buffer");
    }
  }
}

TEST_CASE("cuda SplineFlow log_prob backward and Adam step match the CPU") {
  if (!test::gpu_present("CUDA SplineFlow training-step parity")) return;
  for (DType dt : {DType::f64, DType::f32}) {
    CAPTURE(dtype_name(dt));
    nn::SplineFlowOptions fo;
    fo.features = 3;
    fo.context_features = 5;
    fo.transforms = 3;
    fo.hidden = {16, 16};
    fo.bins = 5;
    fo.tail_bound = 2.5;  // theta ~ 1.5 N(0, 1): about 10 % of the values take the identity tails
    Rng r_cpu(9), r_gpu(9);
    nn::SplineFlow cpu_flow(fo, r_cpu, dt), gpu_flow(fo, r_gpu, dt);
    gpu_flow.to(Device::cuda);
    Rng data(10);
    const Tensor theta = Tensor::randn({32, fo.features}, data, dt) * 1.5;
    const Tensor ctx = Tensor::randn({32, fo.context_features}, data, dt);
    const Tensor theta_g = theta.to(Device::cuda), ctx_g = ctx.to(Device::cuda);
    optim::AdamOptions o;
    o.lr = 1e-3;
    optim::Adam adam_cpu(cpu_flow.named_parameters(), o), adam_gpu(gpu_flow.named_parameters(), o);
    for (int step = 0; step < 2; ++step) {
      CAPTURE(step);
      adam_cpu.zero_grad();
      adam_gpu.zero_grad();
      Tensor nll_cpu = sum(cpu_flow.log_prob(theta, ctx)) * (-1.0 / 32);
      Tensor nll_gpu = sum(gpu_flow.log_prob(theta_g, ctx_g)) * (-1.0 / 32);
      REQUIRE(nll_gpu.device() == Device::cuda);
      nll_cpu.backward();
      nll_gpu.backward();
      test::check_close(nll_gpu, nll_cpu, rtol(dt) * 0.1, "SplineFlow -log q");
      check_named(gpu_flow.named_parameters(), cpu_flow.named_parameters(), rtol(dt), true, "SplineFlow grad");
      adam_cpu.step();
      adam_gpu.step();
      check_named(gpu_flow.named_parameters(), cpu_flow.named_parameters(), param_tol(dt, o.lr, step + 1), false,
                  "SplineFlow param");
    }
  }
}

TEST_CASE("cuda SplineFlow posterior draws match the CPU for the same Rng") {
  if (!test::gpu_present("CUDA SplineFlow rsample parity")) return;
  nn::SplineFlowOptions fo;
  fo.features = 3;
  fo.context_features = 4;
  fo.transforms = 2;
  fo.hidden = {12, 12};
  fo.bins = 4;
  Rng r_cpu(12), r_gpu(12);
  nn::SplineFlow cpu_flow(fo, r_cpu, DType::f64), gpu_flow(fo, r_gpu, DType::f64);
  gpu_flow.to(Device::cuda);
  Rng data(13);
  const Tensor ctx = Tensor::randn({3, fo.context_features}, data, DType::f64);
  NoGradGuard ng;
  Rng draw_cpu(14), draw_gpu(14);
  const nn::FlowSample a = cpu_flow.rsample(5, ctx, draw_cpu, true);
  const nn::FlowSample b = gpu_flow.rsample(5, ctx.to(Device::cuda), draw_gpu, true);
  REQUIRE(b.samples.device() == Device::cuda);
  test::check_close(b.samples, a.samples, 1e-8, "rsample samples");
  test::check_close(b.log_prob, a.log_prob, 1e-8, "rsample log_prob");
}

TEST_CASE("cuda nn::GRU (2 layers, bidirectional) forward and backward match the CPU") {
  if (!test::gpu_present("CUDA GRU module parity")) return;
  for (DType dt : {DType::f64, DType::f32}) {
    CAPTURE(dtype_name(dt));
    Rng r_cpu(11), r_gpu(11), data(12);
    nn::GRU cpu_gru(3, 6, r_cpu, 2, true, true, dt), gpu_gru(3, 6, r_gpu, 2, true, true, dt);
    gpu_gru.to(Device::cuda);
    const Tensor x = Tensor::randn({4, 12, 3}, data, dt), h0 = Tensor::randn({4, 4, 6}, data, dt) * 0.5;
    const Tensor w_out = Tensor::randn({4, 12, 12}, data, dt), w_hn = Tensor::randn({4, 4, 6}, data, dt);
    Tensor xc = x.clone().detach().set_requires_grad(), h0c = h0.clone().detach().set_requires_grad();
    Tensor xg = x.to(Device::cuda).set_requires_grad(), h0g = h0.to(Device::cuda).set_requires_grad();
    // A weighted sum of output and h_n, so every output element gets its own gradient.
    const nn::GruOutput oc = cpu_gru.forward(xc, h0c);
    const nn::GruOutput og = gpu_gru.forward(xg, h0g);
    (sum(oc.output * w_out) + sum(oc.h_n * w_hn)).backward();
    (sum(og.output * w_out.to(Device::cuda)) + sum(og.h_n * w_hn.to(Device::cuda))).backward();
    test::check_close(og.output, oc.output, rtol(dt), "GRU output");
    test::check_close(og.h_n, oc.h_n, rtol(dt), "GRU h_n");
    test::check_close(xg.grad(), xc.grad(), rtol(dt), "GRU input grad");
    test::check_close(h0g.grad(), h0c.grad(), rtol(dt), "GRU h0 grad");
    check_named(gpu_gru.named_parameters(), cpu_gru.named_parameters(), rtol(dt), true, "GRU grad");
  }
}
