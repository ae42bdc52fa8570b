// nn::Module: torch-style dotted names and order, state_dict round trips, strict-load reports, train/eval,
// dtype conversion, zero_grad and num_parameters, on Linear / GELU / Sequential models.
#include "harness.h"
#include "specnet/nn/activation.h"
#include "specnet/nn/container.h"
#include "specnet/nn/linear.h"
#include "specnet/ops/linear.h"

using namespace specnet;
using namespace specnet::nn;

namespace {

// encoder = Sequential(Linear(4, 8), GELU, Linear(8, 3)), head = Linear(3, 2), a buffer "scale" (3).
struct Net : Module {
  std::shared_ptr<Sequential> encoder;
  std::shared_ptr<Linear> head;
  Tensor scale;
  explicit Net(std::uint64_t seed) {
    Rng rng(seed);
    scale = register_buffer("scale", Tensor::full({3}, 2.0));
    encoder = register_module("encoder", std::make_shared<Sequential>(std::initializer_list<std::shared_ptr<Module>>{
                                             std::make_shared<Linear>(4, 8, rng), std::make_shared<GELU>(),
                                             std::make_shared<Linear>(8, 3, rng)}));
    head = register_module("head", std::make_shared<Linear>(3, 2, rng));
  }
  Tensor forward(const Tensor& x) override { return head->forward(encoder->forward(x)); }
  std::string type_name() const override { return "Net"; }
};

std::vector<std::string> names_of(const NamedTensors& v) {
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.first);
  return out;
}

}  // namespace

TEST_CASE("nn module names parameters and buffers like torch state_dict") {
  Net net(1);
  CHECK(names_of(net.named_parameters()) == std::vector<std::string>{"encoder.0.weight", "encoder.0.bias",
                                                                      "encoder.2.weight", "encoder.2.bias",
                                                                      "head.weight", "head.bias"});
  CHECK(names_of(net.named_buffers()) == std::vector<std::string>{"scale"});
  // torch order: a module's own parameters, then its buffers, then its children
  CHECK(names_of(net.state_dict()) == std::vector<std::string>{"scale", "encoder.0.weight", "encoder.0.bias",
                                                               "encoder.2.weight", "encoder.2.bias", "head.weight",
                                                               "head.bias"});
  CHECK(net.num_parameters() == 4 * 8 + 8 + 8 * 3 + 3 + 3 * 2 + 2);
  for (const auto& [n, p] : net.named_parameters()) CHECK_MESSAGE(p.requires_grad(), n);
  CHECK_FALSE(net.scale.requires_grad());
  CHECK(net.encoder->child("0")->type_name() == "Linear");
  CHECK_THROWS_WITH(net.encoder->child("7"), doctest::Contains("no child module named '7'"));
}

TEST_CASE("nn module registration rejects duplicate and dotted names") {
  Net net(1);
  CHECK_THROWS_WITH(net.register_buffer("scale", Tensor::zeros({1})), doctest::Contains("already registered"));
  CHECK_THROWS_WITH(net.register_parameter("a.b", Tensor::zeros({1})), doctest::Contains("invalid member name"));
  CHECK_THROWS_WITH(net.register_module("head", std::make_shared<GELU>()), doctest::Contains("already registered"));
  CHECK_THROWS_WITH(net.register_parameter("w", Tensor()), doctest::Contains("undefined"));
}

TEST_CASE("nn module state_dict round trip reproduces the forward pass") {
  Net a(1), b(2);
  Rng rng(7);
  Tensor x = Tensor::randn({5, 4}, rng);
  CHECK(test::max_abs_diff(a.forward(x), b.forward(x)) > 1e-3);
  LoadReport rep = b.load_state_dict(a.state_dict());
  CHECK(rep.ok());
  CHECK(test::max_abs_diff(a.forward(x), b.forward(x)) == 0.0);
  // Values were copied, not aliased: changing a does not change b.
  {
    NoGradGuard g;
    a.head->weight.fill_(0.0);
  }
  CHECK(test::max_abs_diff(a.forward(x), b.forward(x)) > 1e-6);
  // The module's own handles still point at its parameters after the load.
  CHECK(b.named_parameters()[4].second.same(b.head->weight));
}

TEST_CASE("nn module strict load reports missing, unexpected, shape and dtype problems") {
  Net net(1);
  NamedTensors sd = net.state_dict();
  SUBCASE("missing and unexpected names are listed") {
    NamedTensors bad;
    for (auto& e : sd)
      if (e.first != "head.bias") bad.push_back(e);
    bad.emplace_back("head.extra", Tensor::zeros({2}));
    try {
      net.load_state_dict(bad);
      FAIL("no error");
    } catch (const Error& e) {
      const std::string msg = e.what();
      CHECK(msg.find("missing keys: \"head.bias\"") != std::string::npos);
      CHECK(msg.find("unexpected keys: \"head.extra\"") != std::string::npos);
    }
    // non-strict: the report is returned and present entries are loaded
    Net other(3);
    LoadReport rep = other.load_state_dict(bad, false);
    CHECK(rep.missing == std::vector<std::string>{"head.bias"});
    CHECK(rep.unexpected == std::vector<std::string>{"head.extra"});
    CHECK(test::max_abs_diff(other.head->weight, net.head->weight) == 0.0);
  }
  SUBCASE("shape mismatch always throws, naming both shapes; nothing is copied") {
    Net other(3);
    Tensor before = other.head->bias.clone();
    for (auto& e : sd)
      if (e.first == "encoder.0.weight") e.second = Tensor::zeros({4, 8});
    CHECK_THROWS_WITH(other.load_state_dict(sd, false),
                      doctest::Contains("encoder.0.weight: shape (4, 8) in the state dict, (8, 4) in the module"));
    CHECK(test::max_abs_diff(other.head->bias, before) == 0.0);
  }
  SUBCASE("dtype mismatch throws when strict, converts otherwise") {
    for (auto& e : sd)
      if (e.first == "head.weight") e.second = e.second.to(DType::f64);
    CHECK_THROWS_WITH(net.load_state_dict(sd), doctest::Contains("head.weight: dtype float64 in the state dict"));
    Net other(3);
    LoadReport rep = other.load_state_dict(sd, false);
    CHECK(rep.mismatched.size() == 1);
    CHECK(other.head->weight.dtype() == DType::f32);
    CHECK(test::max_abs_diff(other.head->weight, net.head->weight) == 0.0);
  }
  SUBCASE("duplicate keys") {
    sd.push_back(sd[0]);
    CHECK_THROWS_WITH(net.load_state_dict(sd), doctest::Contains("appears twice"));
  }
}

TEST_CASE("nn module train/eval is recursive") {
  Net net(1);
  CHECK(net.encoder->child("1")->is_training());
  net.eval();
  CHECK_FALSE(net.is_training());
  CHECK_FALSE(net.encoder->child("1")->is_training());
  CHECK_FALSE(net.head->is_training());
  net.train();
  CHECK(net.encoder->child("2")->is_training());
}

TEST_CASE("nn module backward fills every parameter gradient and zero_grad drops them") {
  Net net(1);
  Rng rng(3);
  Tensor x = Tensor::randn({6, 4}, rng);
  Tensor y = net.forward(x);
  y.backward(Tensor::ones(y.shape()));
  for (const auto& [n, p] : net.named_parameters()) CHECK_MESSAGE(p.grad().defined(), n);
  // head.bias gradient is the batch size for a ones seed
  for (double g : net.head->bias.grad().to_vector()) CHECK(g == doctest::Approx(6.0));
  net.zero_grad();
  for (const auto& [n, p] : net.named_parameters()) CHECK_MESSAGE(!p.grad().defined(), n);
}

TEST_CASE("nn module to(float64) converts in place so that every handle follows") {
  Net net(1);
  Tensor w_handle = net.head->weight;  // e.g. an optimizer's reference
  const std::vector<double> w_before = w_handle.to_vector();
  Rng rng(5);
  Tensor x = Tensor::randn({3, 4}, rng);
  Tensor y32 = net.forward(x);
  net.to(DType::f64);
  for (const auto& [n, t] : net.state_dict()) CHECK_MESSAGE(t.dtype() == DType::f64, n);
  CHECK(w_handle.dtype() == DType::f64);
  CHECK(w_handle.requires_grad());
  CHECK(w_handle.to_vector() == w_before);  // float32 values are exact in float64
  Tensor y64 = net.forward(x.to(DType::f64));
  CHECK(test::max_abs_diff(y64, y32.to(DType::f64)) < 1e-5);
  CHECK_THROWS_WITH(net.forward(x), doctest::Contains("dtype mismatch"));
}

TEST_CASE("nn linear module matches the functional op and validates sizes") {
  Rng rng(11);
  Linear lin(5, 3, rng);
  CHECK(lin.weight.shape() == Shape{3, 5});
  CHECK(lin.bias.shape() == Shape{3});
  Tensor x = Tensor::randn({2, 7, 5}, rng);
  CHECK(test::max_abs_diff(lin.forward(x), linear(x, lin.weight, lin.bias)) == 0.0);
  Linear nobias(5, 3, rng, false);
  CHECK_FALSE(nobias.bias.defined());
  CHECK(nobias.named_parameters().size() == 1);
  CHECK_THROWS_WITH(Linear(0, 3, rng), doctest::Contains("must be positive"));
  Sequential seq;
  seq.push_back(std::make_shared<Linear>(5, 4, rng)).push_back(std::make_shared<GELU>());
  CHECK(seq.size() == 2);
  CHECK(seq.forward(x).shape() == Shape{2, 7, 4});
  CHECK_THROWS_WITH(seq[2], doctest::Contains("out of range"));
}
