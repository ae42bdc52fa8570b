// Conv1d, ConvTranspose1d, BatchNorm1d, Dropout, Residual and the activation modules: torch parameter names,
// default initialisation, forward semantics, and PyTorch import of a conv/batchnorm network.
// Needs the conv1d, conv_transpose1d, batch_norm, dropout, relu and add ops.
#include <cmath>

#include "harness.h"
#include "specnet/io/safetensors.h"
#include "specnet/nn.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/conv.h"

using namespace specnet;

namespace {
double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_vector()) m = std::max(m, std::abs(v));
  return m;
}
}  // namespace

TEST_CASE("nn conv1d parameters, init bounds and forward") {
  Rng rng(1);
  nn::Conv1dOptions o;
  o.padding = 1;
  nn::Conv1d conv(4, 32, 5, rng, o);
  CHECK(conv.weight.shape() == Shape{32, 4, 5});
  CHECK(conv.bias.shape() == Shape{32});
  const double bound = 1.0 / std::sqrt(20.0);  // fan_in = C K
  CHECK(max_abs(conv.weight) <= bound);
  CHECK(max_abs(conv.weight) > 0.95 * bound);
  CHECK(max_abs(conv.bias) <= bound);
  Tensor x = Tensor::randn({2, 4, 10}, rng);
  Tensor y = conv.forward(x);
  CHECK(y.shape() == Shape{2, 32, 8});
  CHECK(test::max_abs_diff(y, conv1d(x, conv.weight, conv.bias, 1, 1, 1)) == 0.0);
  nn::Conv1dOptions bad;
  bad.output_padding = 1;
  CHECK_THROWS_WITH(nn::Conv1d(4, 8, 3, rng, bad), doctest::Contains("output_padding"));
}

TEST_CASE("nn conv_transpose1d uses torch's fan_in = out_channels * K") {
  Rng rng(2);
  nn::Conv1dOptions o;
  o.stride = 2, o.padding = 1, o.output_padding = 1;
  nn::ConvTranspose1d deconv(2, 16, 4, rng, o);  // weight (C, O, K) = (2, 16, 4)
  CHECK(deconv.weight.shape() == Shape{2, 16, 4});
  const double bound = 1.0 / std::sqrt(16.0 * 4.0);  // not 1/sqrt(2 * 4)
  CHECK(max_abs(deconv.weight) <= bound);
  CHECK(max_abs(deconv.weight) > 0.9 * bound);
  CHECK(max_abs(deconv.bias) <= bound);
  Tensor y = deconv.forward(Tensor::randn({3, 2, 5}, rng));
  CHECK(y.shape() == Shape{3, 16, (5 - 1) * 2 - 2 + 3 + 1 + 1});
  nn::Conv1dOptions bad;
  bad.output_padding = 2;
  bad.stride = 2;
  CHECK_THROWS_WITH(nn::ConvTranspose1d(2, 4, 3, rng, bad), doctest::Contains("must be smaller than stride"));
}

TEST_CASE("nn batchnorm1d names, counting and running statistics") {
  nn::BatchNorm1d bn(3);
  std::vector<std::string> keys;
  for (const auto& e : bn.state_dict()) keys.push_back(e.first);
  CHECK(keys == std::vector<std::string>{"weight", "bias", "running_mean", "running_var", "num_batches_tracked"});
  CHECK(bn.running_var.to_vector() == std::vector<double>{1, 1, 1});
  Rng rng(3);
  Tensor x = Tensor::randn({8, 3, 5}, rng);
  bn.forward(x);
  bn.forward(x);
  CHECK(bn.num_batches_tracked.item() == 2.0);
  const auto rm = bn.running_mean.to_vector();
  bn.eval();
  Tensor y_eval = bn.forward(x);
  CHECK(bn.num_batches_tracked.item() == 2.0);  // eval does not count
  CHECK(bn.running_mean.to_vector() == rm);     // nor update
  CHECK(y_eval.shape() == x.shape());
  CHECK_THROWS_WITH(bn.forward(Tensor::zeros({2, 4})), doctest::Contains("module has 3"));

  // momentum None: cumulative average, so after two batches running_mean is the mean of their means
  nn::BatchNormOptions cum;
  cum.momentum = std::nullopt;
  nn::BatchNorm1d bc(1, cum);
  bc.forward(Tensor::from_vector(std::vector<double>{1, 3}, {2, 1}, DType::f32));
  bc.forward(Tensor::from_vector(std::vector<double>{5, 7}, {2, 1}, DType::f32));
  CHECK(bc.running_mean.item() == doctest::Approx(4.0));
  nn::BatchNormOptions untracked;
  untracked.track_running_stats = false;
  nn::BatchNorm1d bu(3, untracked);
  CHECK(bu.named_buffers().empty());
  bu.eval();  // batch statistics even in eval
  Tensor z = bu.forward(x);
  for (std::int64_t c = 0; c < 3; ++c) {
    double m = 0;
    for (std::int64_t b = 0; b < 8; ++b)
      for (std::int64_t l = 0; l < 5; ++l) m += z.at({b, c, l});
    CHECK(std::abs(m / 40.0) < 1e-5);
  }
}

TEST_CASE("nn dropout uses its own seeded stream and is the identity in eval") {
  nn::Dropout a(0.3, 7), b(0.3, 7);
  Tensor x = Tensor::ones({4000});
  Tensor ya = a.forward(x), yb = b.forward(x);
  CHECK(test::max_abs_diff(ya, yb) == 0.0);
  int zeros = 0;
  for (double v : ya.to_vector()) {
    if (v == 0) ++zeros;
    else CHECK(v == doctest::Approx(1.0 / 0.7));
  }
  CHECK(std::abs(zeros / 4000.0 - 0.3) < 0.03);
  CHECK(a.named_rngs().size() == 1);
  CHECK(a.rng().offset() > 0);
  a.eval();
  CHECK(test::max_abs_diff(a.forward(x), x) == 0.0);
  CHECK_THROWS_WITH(nn::Dropout(1.5), doctest::Contains("probability"));
}

TEST_CASE("nn residual block adds an identity or projection shortcut") {
  Rng rng(4);
  nn::Conv1dOptions same;
  same.padding = 1;
  auto main = std::make_shared<nn::Conv1d>(4, 4, 3, rng, same);
  nn::Residual id(main, nullptr, std::make_shared<nn::ReLU>());
  Tensor x = Tensor::randn({2, 4, 6}, rng);
  Tensor expect = relu(add(main->forward(x), x));
  CHECK(test::max_abs_diff(id.forward(x), expect) == 0.0);
  std::vector<std::string> keys;
  for (const auto& e : id.state_dict()) keys.push_back(e.first);
  CHECK(keys == std::vector<std::string>{"main.weight", "main.bias"});

  auto widen = std::make_shared<nn::Conv1d>(4, 8, 3, rng, same);
  nn::Residual proj(widen, std::make_shared<nn::Conv1d>(4, 8, 1, rng), nullptr, {"conv", "skip", "act"});
  CHECK(proj.state_dict()[2].first == "skip.weight");
  CHECK(proj.forward(x).shape() == Shape{2, 8, 6});
  nn::Residual broken(widen);
  CHECK_THROWS_WITH(broken.forward(x), doctest::Contains("add a projection shortcut"));
}

TEST_CASE("nn activation modules forward to the functional ops") {
  Rng rng(5);
  Tensor x = Tensor::randn({3, 7}, rng);
  CHECK(test::max_abs_diff(nn::ReLU().forward(x), relu(x)) == 0.0);
  CHECK(test::max_abs_diff(nn::ELU(0.5).forward(x), elu(x, 0.5)) == 0.0);
  CHECK(test::max_abs_diff(nn::Softplus(2.0, 10.0).forward(x), softplus(x, 2.0, 10.0)) == 0.0);
  CHECK(test::max_abs_diff(nn::Tanh().forward(x), specnet::tanh(x)) == 0.0);
  CHECK(test::max_abs_diff(nn::Sigmoid().forward(x), sigmoid(x)) == 0.0);
  CHECK(test::max_abs_diff(nn::SELU().forward(x), selu(x)) == 0.0);
  CHECK(nn::Flatten().forward(Tensor::zeros({2, 3, 4})).shape() == Shape{2, 12});
}

TEST_CASE("nn import of a torch conv/batchnorm network reproduces torch's eval output") {
  Rng rng(0);
  nn::Conv1dOptions pad1, up;
  pad1.padding = 1;
  up.stride = 2, up.padding = 1;
  nn::Sequential model{std::make_shared<nn::Conv1d>(2, 4, 3, rng, pad1), std::make_shared<nn::BatchNorm1d>(4),
                       std::make_shared<nn::ReLU>(), std::make_shared<nn::ConvTranspose1d>(4, 3, 4, rng, up),
                       std::make_shared<nn::Flatten>(), std::make_shared<nn::Linear>(36, 2, rng)};
  SafeTensors weights = load_safetensors(test::fixture_path("torch_import_convnet.safetensors"));
  model.load_state_dict(weights.tensors);
  CHECK(weights.get("1.num_batches_tracked").item() == 2.0);
  model.eval();
  SafeTensors io = load_safetensors(test::fixture_path("torch_import_convnet_io.safetensors"));
  CHECK(test::max_abs_diff(model.forward(io.get("input")), io.get("output")) < 1e-5);
}
