// CUDA core: device copies, the caching allocator, device errors, autograd on the device, dropout streams,
// reductions, losses and fused optimizer steps against the CPU. Skipped with a message when no GPU is present.
#include <algorithm>
#include <cmath>
#include <memory>

#include "harness.h"
#include "specnet/context.h"
#include "specnet/cuda/runtime.h"
#include "specnet/ops.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/ema.h"
#include "specnet/optim/sgd.h"

using namespace specnet;
using namespace specnet::test;

namespace {
// Returns true (after a MESSAGE naming why) when this machine cannot run CUDA checks.
bool skip_without_gpu() {
  if (cuda::cuda_available()) return false;
  MESSAGE(cuda_skip_reason());
  return true;
}

// |a - b| <= tol * max(1, max |a|), NaNs in the same places.
void check_close(const Tensor& a, const Tensor& b, double tol) {
  REQUIRE(a.shape() == b.shape());
  const auto va = a.to_vector(), vb = b.to_vector();
  double scale = 1, err = 0;
  for (std::size_t i = 0; i < va.size(); ++i) {
    CHECK(std::isnan(va[i]) == std::isnan(vb[i]));
    if (std::isnan(va[i])) continue;
    scale = std::max(scale, std::abs(va[i]));
    err = std::max(err, std::abs(va[i] - vb[i]));
  }
  CHECK(err <= tol * scale);
}

double tol_for(DType t) { return t == DType::f32 ? 1e-5 : 1e-12; }
}  // namespace

TEST_CASE("cuda: a cuda tensor without a usable GPU is a clear error") {
#ifndef SPECNET_WITH_CUDA
  CHECK_THROWS_WITH(Tensor::zeros({2}, DType::f32, Device::cuda), doctest::Contains("built without CUDA"));
  CHECK_THROWS_WITH(Tensor::ones({2}).to(Device::cuda), doctest::Contains("built without CUDA"));
  CHECK_THROWS_WITH(ContextGuard(Context(0, 1, Device::cuda)), doctest::Contains("built without CUDA"));
#else
  if (!cuda::cuda_available()) {
    CHECK_THROWS_WITH(Tensor::zeros({2}, DType::f32, Device::cuda), doctest::Contains("not available"));
    CHECK_THROWS_WITH(Tensor::ones({2}).to(Device::cuda), doctest::Contains("not available"));
  }
#endif
  CHECK(current_device() == Device::cpu);
  if (skip_without_gpu()) return;
  {
    ContextGuard g(Context(0, 1, Device::cuda));
    CHECK(current_device() == Device::cuda);
  }
  CHECK(current_device() == Device::cpu);
  set_num_threads(0);
  MESSAGE("GPU: ", cuda::device_description());
}

TEST_CASE("cuda: to(device) round trips values, layouts and dtypes") {
  if (skip_without_gpu()) return;
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = random_input({7, 13, 5}, 3, false, dt);
    Tensor d = x.to(Device::cuda);
    CHECK(d.device() == Device::cuda);
    CHECK(d.describe().find("cuda") != std::string::npos);
    CHECK(d.to(Device::cpu).to_vector() == x.to_vector());
    CHECK(d.to_vector() == x.to_vector());  // to_vector copies back by itself
    // non-contiguous on either side: views, contiguous(), casts and clones on the device
    Tensor t = d.transpose(0, 2).slice(1, 2, 11);
    CHECK(!t.is_contiguous());
    CHECK(t.contiguous().to_vector() == x.transpose(0, 2).slice(1, 2, 11).contiguous().to_vector());
    CHECK(x.transpose(0, 2).to(Device::cuda).to_vector() == x.transpose(0, 2).to_vector());
    const DType other = dt == DType::f32 ? DType::f64 : DType::f32;
    CHECK(d.to(other).to_vector() == x.to(other).to_vector());
    CHECK(d.at({6, 12, 4}) == x.at({6, 12, 4}));
    // factories, fill_ and copy_ on the device (copy_ across devices and into a transposed view)
    CHECK(Tensor::zeros({3, 4}, dt, Device::cuda).to_vector() == std::vector<double>(12, 0.0));
    CHECK(Tensor::full({5}, 2.5, dt, Device::cuda).to_vector() == std::vector<double>(5, 2.5));
    Tensor y = Tensor::zeros({5, 13, 7}, dt, Device::cuda);
    y.transpose(0, 2).copy_(x);  // x is on the CPU
    CHECK(y.transpose(0, 2).to_vector() == x.to_vector());
    Tensor z = Tensor::zeros({4, 6}, dt, Device::cuda);
    z.slice(1, 1, 3).fill_(7.0);
    Tensor zc = Tensor::zeros({4, 6}, dt);
    zc.slice(1, 1, 3).fill_(7.0);
    CHECK(z.to_vector() == zc.to_vector());
  }
  Tensor empty = Tensor::zeros({0, 3}).to(Device::cuda);
  CHECK(empty.numel() == 0);
  CHECK(empty.to(Device::cpu).shape() == Shape{0, 3});
}

TEST_CASE("cuda: autograd on the device, and through to(device)") {
  if (skip_without_gpu()) return;
  Tensor xc = random_input({4, 5}, 11);
  Tensor x = xc.to(Device::cuda).set_requires_grad(true);
  Tensor y = sum(x * x);  // scalar seed of ones is made on the device
  CHECK(y.device() == Device::cuda);
  y.backward();
  REQUIRE(x.grad().defined());
  CHECK(x.grad().device() == Device::cuda);
  check_close(x.grad(), xc * 2.0, 1e-6);
  y = sum(x * 3.0);
  y.backward();  // accumulates on the device
  check_close(x.grad(), xc * 2.0 + 3.0, 1e-6);
  // a CPU leaf used on the GPU receives its gradient on the CPU
  Tensor w = random_input({3, 4}, 12).set_requires_grad(true);
  Tensor loss = sum(w.to(Device::cuda).transpose(0, 1) * 2.0);
  loss.backward();
  REQUIRE(w.grad().defined());
  CHECK(w.grad().device() == Device::cpu);
  CHECK(w.grad().to_vector() == std::vector<double>(12, 2.0));
  CHECK_THROWS_WITH(y.backward(Tensor::ones({})), doctest::Contains("different devices"));
}

TEST_CASE("cuda: mixing devices is an error naming both") {
  if (skip_without_gpu()) return;
  Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({2, 3}).to(Device::cuda);
  CHECK_THROWS_WITH(a + b, doctest::Contains("add: tensors on different devices: cpu"));
  CHECK_THROWS_WITH(b * a, doctest::Contains("mul: tensors on different devices: cuda"));
  CHECK_THROWS_WITH(concat({b, a}, 0), doctest::Contains("concat: tensors on different devices"));
  CHECK_THROWS_WITH(mse_loss(b, a), doctest::Contains("mse_loss: tensors on different devices"));
  CHECK_THROWS_WITH(b.data<float>(), doctest::Contains("copy it to the CPU first"));
  CHECK_THROWS_WITH(pow(Tensor::full({3}, -1.0, DType::f32, Device::cuda), 0.5), doctest::Contains("negative base"));
  CHECK_THROWS_WITH(gaussian_nll_loss(b, b, Tensor::full({2, 3}, -1.0, DType::f32, Device::cuda)),
                    doctest::Contains("negative entry"));
}

TEST_CASE("cuda: the caching allocator reuses freed blocks") {
  if (skip_without_gpu()) return;
#ifdef SPECNET_WITH_CUDA
  cuda::device_cache_clear();
  CHECK(cuda::device_cache_bytes() == 0);
  const std::size_t before = cuda::device_malloc_count();
  { Tensor a = Tensor::empty({1000, 999}, DType::f32, Device::cuda); }
  const std::size_t after_first = cuda::device_malloc_count();
  CHECK(after_first == before + 1);
  CHECK(cuda::device_cache_bytes() >= 1000 * 999 * 4);
  for (int i = 0; i < 10; ++i) {
    Tensor b = Tensor::empty({999, 1000}, DType::f32, Device::cuda);  // same size class
    Tensor c = b + 1.0;  // a second block of that class: one more cudaMalloc the first time only
  }
  CHECK(cuda::device_malloc_count() == after_first + 1);
  cuda::device_cache_clear();
  CHECK(cuda::device_cache_bytes() == 0);
#endif
}

TEST_CASE("cuda: dropout draws the CPU's Philox stream") {
  if (skip_without_gpu()) return;
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor x = random_input({37, 1001}, 5, false, dt);  // odd sizes: partial lanes on the CPU
    Rng cpu_rng(1234, 9), gpu_rng(1234, 9);
    for (int draw = 0; draw < 3; ++draw) {  // successive draws advance both streams alike
      Tensor a = dropout(x, 0.3, true, cpu_rng);
      Tensor b = dropout(x.to(Device::cuda), 0.3, true, gpu_rng);
      CHECK(a.to_vector() == b.to_vector());
      CHECK(cpu_rng.offset() == gpu_rng.offset());
    }
  }
}

TEST_CASE("cuda: long reductions, ties and NaNs match the CPU") {
  if (skip_without_gpu()) return;
  for (DType dt : {DType::f32, DType::f64}) {
    Tensor big = random_input({1 << 20}, 21, false, dt);
    Tensor big_d = big.to(Device::cuda);
    check_close(sum(big_d), sum(big), 1e-6);
    check_close(max(big_d), max(big), 0);
    Tensor m = random_input({3, 70000, 2}, 22, false, dt);  // few outputs, long axis: one block per output
    check_close(sum(m.to(Device::cuda), {1}), sum(m, {1}), 1e-6);
    check_close(max(m.to(Device::cuda), 1), max(m, 1), 0);
    check_close(argmax(m.to(Device::cuda), 1), argmax(m, 1), 0);
    Tensor w = random_input({64, 40, 300}, 23, false, dt);  // many outputs: one thread per output
    check_close(sum(w.to(Device::cuda), {1}), sum(w, {1}), 1e-6);
    check_close(mean(w.to(Device::cuda), {0, 2}), mean(w, {0, 2}), 1e-6);
    check_close(max(w.to(Device::cuda), 1), max(w, 1), 0);
    check_close(argmax(w.to(Device::cuda), 1), argmax(w, 1), 0);
    std::vector<double> v(5000, 1.0);
    v[1234] = v[4321] = 3.0;  // tie: the first index wins
    v[4000] = std::nan("");   // ... unless a NaN comes along
    Tensor t = Tensor::from_vector(v, {5000}, dt);
    CHECK(argmax(t.to(Device::cuda), 0).item() == 4000);
    v[4000] = 1.0;
    t = Tensor::from_vector(v, {5000}, dt);
    CHECK(argmax(t.to(Device::cuda), 0).item() == 1234);
  }
}

TEST_CASE("cuda: losses and their gradients match the CPU") {
  if (skip_without_gpu()) return;
  for (DType dt : {DType::f32, DType::f64}) {
    for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
      for (int kind = 0; kind < 4; ++kind) {  // mse, l1, gaussian_nll per element, per row (full)
        CAPTURE(kind);
        auto run = [&](Device dev) {
          std::vector<Tensor> in{random_input({6, 33}, 31, false, dt), random_input({6, 33}, 32, false, dt),
                                 random_input(kind == 3 ? Shape{6, 1} : Shape{6, 33}, 33, true, dt)};
          for (auto& t : in) t = t.to(dev).set_requires_grad(true);
          Tensor out = kind == 0   ? mse_loss(in[0], in[1], r)
                       : kind == 1 ? l1_loss(in[0], in[1], r)
                                   : gaussian_nll_loss(in[0], in[1], in[2], kind == 3, 1e-6, r);
          Rng rng(7, 7);
          out.backward(Tensor::randn(out.shape(), rng, dt).to(dev));
          std::vector<Tensor> res{out.detach().to(Device::cpu)};
          for (auto& t : in)
            if (t.grad().defined()) res.push_back(t.grad().to(Device::cpu));
          return res;
        };
        auto a = run(Device::cpu), b = run(Device::cuda);
        REQUIRE(a.size() == b.size());
        for (std::size_t k = 0; k < a.size(); ++k) check_close(a[k], b[k], tol_for(dt) * 10);
      }
    }
  }
}

TEST_CASE("cuda: fused SGD, Adam and AdamW steps match the CPU") {
  if (skip_without_gpu()) return;
  for (DType dt : {DType::f32, DType::f64}) {
    for (int kind = 0; kind < 4; ++kind) {  // SGD+Nesterov, SGD dampened, Adam+amsgrad, AdamW
      CAPTURE(kind);
      auto run = [&](Device dev) {
        Tensor w = random_input({50, 41}, 41, false, dt).to(dev).set_requires_grad(true);
        Tensor c = random_input({50, 41}, 42, false, dt).to(dev);
        optim::NamedTensors params{{"w", w}};
        std::unique_ptr<optim::Optimizer> opt;
        if (kind == 0) opt = std::make_unique<optim::SGD>(params, optim::SGDOptions{0.1, 0.9, 0.0, 1e-2, true, false});
        if (kind == 1) opt = std::make_unique<optim::SGD>(params, optim::SGDOptions{0.1, 0.5, 0.1, 0.0, false, true});
        if (kind == 2) {
          optim::AdamOptions o;
          o.amsgrad = true;
          o.weight_decay = 1e-2;
          opt = std::make_unique<optim::Adam>(params, o);
        }
        if (kind == 3) opt = std::make_unique<optim::AdamW>(params, optim::AdamWOptions{});
        for (int step = 0; step < 4; ++step) {
          opt->zero_grad();
          sum(w * w * c).backward();
          opt->step();
        }
        return w.detach().to(Device::cpu);
      };
      check_close(run(Device::cpu), run(Device::cuda), tol_for(dt));
    }
  }
}

TEST_CASE("cuda: the parameter EMA (both lerp branches), its swap and state match the CPU") {
  if (skip_without_gpu()) return;
  for (DType dt : {DType::f32, DType::f64}) {
    for (double decay : {0.9, 0.3}) {  // weight 0.1 and 0.7: both sides of torch's lerp formula
      CAPTURE(decay);
      auto run = [&](Device dev) {
        Tensor w = random_input({37, 29}, 43, false, dt).to(dev).set_requires_grad(true);
        Tensor c = random_input({37, 29}, 44, false, dt).to(dev);
        optim::Adam opt(optim::NamedTensors{{"w", w}});
        optim::ParameterEma ema(optim::NamedTensors{{"w", w}}, decay);
        for (int step = 0; step < 5; ++step) {
          opt.zero_grad();
          sum(w * w * c).backward();
          opt.step();
          ema.update();
        }
        ema.swap();  // w now holds the averages
        const Tensor averaged = w.detach().to(Device::cpu);
        const Tensor saved = ema.state_dict().at(1).second.to(Device::cpu);  // the live weights after the swap
        return std::make_pair(averaged, saved);
      };
      const auto cpu = run(Device::cpu), gpu = run(Device::cuda);
      check_close(cpu.first, gpu.first, tol_for(dt));
      check_close(cpu.second, gpu.second, tol_for(dt));
    }
  }
}
