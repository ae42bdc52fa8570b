// Training checkpoints: save after some steps, restore into fresh objects, and check that training continues
// bit-identically; mismatched architectures, optimizers and files give errors and change nothing.
#include <unistd.h>

#include <filesystem>

#include "harness.h"
#include "mse_backward.h"
#include "specnet/io/checkpoint.h"
#include "specnet/io/safetensors.h"
#include "specnet/nn/activation.h"
#include "specnet/nn/container.h"
#include "specnet/nn/linear.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/sgd.h"

using namespace specnet;

namespace {

// Sequential(Linear(3, 6), GELU, Linear(6, hidden_out)) with a registered noise Rng (as Dropout owns one).
struct Model : nn::Module {
  std::shared_ptr<nn::Sequential> body;
  Rng noise;
  Model(std::uint64_t seed, std::int64_t out = 2) : noise(seed, 1) {
    Rng rng(seed);
    body = register_module("body", std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
                                        std::make_shared<nn::Linear>(3, 6, rng), std::make_shared<nn::GELU>(),
                                        std::make_shared<nn::Linear>(6, out, rng)}));
    register_rng("noise", &noise);
  }
  Tensor forward(const Tensor& x) override { return body->forward(x); }
  std::string type_name() const override { return "Model"; }
};

// One MSE step on a fixed batch; noise is drawn to advance the module Rng.
void train_step(Model& m, optim::Optimizer& opt, const Tensor& x, const Tensor& target) {
  opt.zero_grad();
  test::mse_backward(m.forward(x), target);
  m.noise.reserve(static_cast<std::uint64_t>(target.numel()));
  opt.step();
}

std::string scratch(const std::string& name) {
  static const std::string dir = [] {
    std::string d = str(SPECNET_BINARY_DIR, "/test_tmp_checkpoint_", ::getpid());
    std::filesystem::create_directories(d);
    return d;
  }();
  static struct Cleanup {
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } cleanup;
  return dir + "/" + name;
}

void check_same(const nn::NamedTensors& a, const nn::NamedTensors& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].first == b[i].first);
    CHECK_MESSAGE(test::max_abs_diff(a[i].second, b[i].second) == 0.0, a[i].first);
  }
}

}  // namespace

TEST_CASE("checkpoint restores model, optimizer, scheduler and RNG so training continues identically") {
  Rng rng(8);
  Tensor x = Tensor::randn({16, 3}, rng), y = Tensor::randn({16, 2}, rng);
  Model a(1);
  optim::AdamW opt_a(a.named_parameters());
  optim::ReduceLROnPlateau sched_a(opt_a, [] {
    optim::PlateauOptions o;
    o.patience = 0;
    return o;
  }());
  for (int s = 0; s < 3; ++s) train_step(a, opt_a, x, y);
  sched_a.step(1.0);
  sched_a.step(1.5);  // one bad epoch with patience 0: lr reduced
  CHECK(opt_a.group(0).lr == doctest::Approx(1e-4));
  CheckpointInfo info;
  info.epoch = 3;
  info.seed = 0xFFFFFFFFFFFFFFFFull;  // must survive exactly (no float round trip)
  info.rng_offsets["shuffle"] = 123456789012345ull;
  info.extra["note"] = "run \"alpha\"";
  const std::string path = scratch("ckpt.safetensors");
  save_checkpoint(path, a, &opt_a, &sched_a, info);

  Model b(99);
  optim::AdamW opt_b(b.named_parameters());
  optim::ReduceLROnPlateau sched_b(opt_b);
  CheckpointInfo got = load_checkpoint(path, b, &opt_b, &sched_b);
  CHECK(got.epoch == 3);
  CHECK(got.seed == info.seed);
  CHECK(got.rng_offsets == info.rng_offsets);
  CHECK(got.extra == info.extra);
  check_same(a.state_dict(), b.state_dict());
  check_same(opt_a.state_dict(), opt_b.state_dict());
  check_same(sched_a.state_dict(), sched_b.state_dict());
  CHECK(b.noise.seed() == 1);
  CHECK(b.noise.offset() == a.noise.offset());

  for (int s = 0; s < 2; ++s) {
    train_step(a, opt_a, x, y);
    train_step(b, opt_b, x, y);
  }
  check_same(a.state_dict(), b.state_dict());
  // the file is plain safetensors with prefixed keys
  SafeTensors raw = load_safetensors(path);
  CHECK(raw.contains("model.body.0.weight"));
  CHECK(raw.contains("optimizer.state.body.2.bias.exp_avg_sq"));
  CHECK(raw.contains("scheduler.best"));
  CHECK(raw.metadata.at("optimizer") == "AdamW");
}

TEST_CASE("checkpoint load errors leave everything unchanged") {
  Model a(1);
  optim::Adam opt_a(a.named_parameters());
  Rng rng(2);
  Tensor x = Tensor::randn({4, 3}, rng), y = Tensor::randn({4, 2}, rng);
  train_step(a, opt_a, x, y);
  const std::string path = scratch("errors.safetensors");
  save_checkpoint(path, a, &opt_a, nullptr, {});

  SUBCASE("different architecture: names and shapes reported") {
    Model b(5, 4);
    optim::Adam opt_b(b.named_parameters());
    const auto before = b.state_dict();
    CHECK_THROWS_WITH(load_checkpoint(path, b, &opt_b),
                      doctest::Contains("'state.body.2.weight.exp_avg' is float32 (2, 6) cpu but parameter"));
    CHECK_THROWS_WITH(load_checkpoint(path, b), doctest::Contains("body.2.weight: shape (2, 6) in the state dict, "
                                                                  "(4, 6) in the module"));
    check_same(before, b.state_dict());
    CHECK(opt_b.state_dict().size() == 2);  // still only the group hyperparameters
  }
  SUBCASE("optimizer type, missing scheduler, missing optimizer") {
    Model b(5);
    optim::SGD sgd(b.named_parameters());
    CHECK_THROWS_WITH(load_checkpoint(path, b, &sgd), doctest::Contains("checkpoint optimizer is Adam, given SGD"));
    optim::ReduceLROnPlateau sched(sgd);
    CHECK_THROWS_WITH(load_checkpoint(path, b, nullptr, &sched), doctest::Contains("holds no scheduler state"));
    save_checkpoint(path, a, nullptr, nullptr, {});
    optim::Adam opt_b(b.named_parameters());
    CHECK_THROWS_WITH(load_checkpoint(path, b, &opt_b), doctest::Contains("holds no optimizer state"));
    CHECK_NOTHROW(load_checkpoint(path, b));  // weights only
    check_same(a.state_dict(), b.state_dict());
  }
  SUBCASE("model failure after the optimizer loaded rolls the optimizer back") {
    nn::NamedTensors twins;  // same names and shapes as the saved model, so the optimizer part loads
    for (const auto& [n, t] : a.named_parameters()) twins.emplace_back(n, t.detach().clone().set_requires_grad());
    optim::Adam opt_b(twins);
    Model b(5, 4);
    CHECK_THROWS_WITH(load_checkpoint(path, b, &opt_b), doctest::Contains("body.2.weight: shape"));
    CHECK(opt_b.state_dict().size() == 2);
    CHECK_NOTHROW(load_checkpoint(path, a, &opt_b));
    CHECK(opt_b.state_dict().size() > 2);
  }
  SUBCASE("not a checkpoint, bad metadata") {
    const std::string plain = scratch("plain.safetensors");
    save_safetensors(plain, a.state_dict());
    Model b(5);
    CHECK_THROWS_WITH(load_checkpoint(plain, b), doctest::Contains("is not a specnet checkpoint"));
    auto st = load_safetensors(path);
    st.metadata["module_rng.noise"] = "1:2";
    save_safetensors(plain, st.tensors, st.metadata);
    CHECK_THROWS_WITH(load_checkpoint(plain, b), doctest::Contains("is not seed:stream:offset"));
    st.metadata.erase("module_rng.noise");
    save_safetensors(plain, st.tensors, st.metadata);
    CHECK_THROWS_WITH(load_checkpoint(plain, b), doctest::Contains("missing 'noise'"));
  }
}

TEST_CASE("load_optimizer_moments: moments and step counts from the file, learning rate and weight decay kept") {
  Rng rng(3);
  Tensor x = Tensor::randn({8, 3}, rng), y = Tensor::randn({8, 2}, rng);
  Model a(1);
  optim::AdamW opt_a(a.named_parameters());
  for (int s = 0; s < 3; ++s) train_step(a, opt_a, x, y);
  const std::string path = scratch("moments.safetensors");
  save_checkpoint(path, a, &opt_a, nullptr, {});

  Model b(7);  // other weights: only the optimizer's state is taken
  optim::AdamWOptions ob;
  ob.lr = 5e-4;
  ob.weight_decay = 0.3;
  optim::AdamW opt_b(b.named_parameters(), ob);
  load_optimizer_moments(path, opt_b);
  CHECK(opt_b.group(0).lr == 5e-4);
  CHECK(opt_b.group(0).weight_decay == 0.3);
  const auto sa = opt_a.state_dict(), sb = opt_b.state_dict();
  REQUIRE(sa.size() == sb.size());
  for (std::size_t i = 0; i < sa.size(); ++i) {
    CHECK(sa[i].first == sb[i].first);
    if (sa[i].first.rfind("param_groups.", 0) != 0) CHECK_MESSAGE(test::max_abs_diff(sa[i].second, sb[i].second) == 0.0, sa[i].first);
  }
  // The next step is AdamW's 4th (bias correction of step 4) on b's weights with b's lr, and a second copy loaded
  // the same way stays bitwise in step.
  Model c(7);
  optim::AdamW opt_c(c.named_parameters(), ob);
  load_optimizer_moments(path, opt_c);
  train_step(b, opt_b, x, y);
  train_step(c, opt_c, x, y);
  check_same(b.state_dict(), c.state_dict());
  for (const auto& [n, t] : opt_b.state_dict())
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".step") == 0) CHECK_MESSAGE(t.item() == 4.0, n);

  SUBCASE("a trainable parameter without moments in the file is refused; a frozen one is not asked for") {
    Model d(5);
    const auto params = d.named_parameters();
    optim::ParamGroup known, extra;
    known.params = params;
    Tensor w = Tensor::randn({4}, rng).set_requires_grad();
    extra.params.emplace_back("head.weight", w);
    optim::AdamW two({known, extra});
    const auto before = two.state_dict();
    CHECK_THROWS_WITH(load_optimizer_moments(path, two),
                      doctest::Contains("holds no moments for the trainable parameter(s) 'head.weight'"));
    check_same(before, two.state_dict());
    extra.frozen = true;
    optim::AdamW frozen({known, extra});
    CHECK_NOTHROW(load_optimizer_moments(path, frozen));
  }
  SUBCASE("another optimizer, no optimizer state, not a checkpoint") {
    optim::SGD sgd(b.named_parameters());
    CHECK_THROWS_WITH(load_optimizer_moments(path, sgd), doctest::Contains("holds AdamW state, given SGD"));
    const std::string bare = scratch("bare.safetensors");
    save_checkpoint(bare, a, nullptr, nullptr, {});
    CHECK_THROWS_WITH(load_optimizer_moments(bare, opt_b), doctest::Contains("holds no optimizer state"));
    save_safetensors(bare, a.state_dict());
    CHECK_THROWS_WITH(load_optimizer_moments(bare, opt_b), doctest::Contains("is not a specnet checkpoint"));
  }
}
