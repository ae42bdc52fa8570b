// Optimizers against torch.optim (values printed by torch 1.13 for the same parameters and gradients; the
// first SGD step is traced by hand below), frozen groups, state export/import, hyperparameter checks.
#include <cmath>

#include "harness.h"
#include "mse_backward.h"
#include "specnet/context.h"
#include "specnet/nn/linear.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/ema.h"
#include "specnet/ops/linear.h"
#include "specnet/optim/sgd.h"

using namespace specnet;
using namespace specnet::optim;

namespace {

const std::vector<double> kP0{0.5, -1.25, 2.0};
const std::vector<std::vector<double>> kGrads{{0.1, -0.2, 0.3}, {0.4, 0.05, -0.6}, {-0.3, 0.2, 0.1}};

void set_grad(Tensor& p, const std::vector<double>& g) {
  p.impl().grad = Tensor::from_vector(g, p.shape(), p.dtype()).impl_ptr();
}

Tensor param(DType dtype = DType::f64) { return Tensor::from_vector(kP0, {3}, dtype).set_requires_grad(); }

// Runs 3 steps with kGrads and compares each step's parameters with torch's.
template <typename Opt, typename Options>
void check_trajectory(const Options& o, const std::vector<std::vector<double>>& expect, DType dtype = DType::f64,
                      double tol = 1e-15) {
  Tensor p = param(dtype);
  Opt opt(NamedTensors{{"p", p}}, o);
  for (std::size_t s = 0; s < kGrads.size(); ++s) {
    set_grad(p, kGrads[s]);
    opt.step();
    const auto v = p.to_vector();
    for (std::size_t i = 0; i < v.size(); ++i)
      CHECK_MESSAGE(std::abs(v[i] - expect[s][i]) <= tol * std::max(1.0, std::abs(expect[s][i])),
                    "step ", s + 1, " element ", i, ": ", v[i], " vs torch ", expect[s][i]);
  }
}

}  // namespace

TEST_CASE("optim sgd momentum nesterov weight decay matches torch") {
  // step 1 by hand: d = 0.1 + 0.01 * 0.5 = 0.105; buf = d; nesterov d + 0.9 buf = 0.1995; 0.5 - 0.1 * 0.1995
  SGDOptions o;
  o.lr = 0.1, o.momentum = 0.9, o.nesterov = true, o.weight_decay = 0.01;
  check_trajectory<SGD>(o, {{0.48005, -1.209625, 1.9392},
                            {0.394632905, -1.1996142125, 2.02359552},
                            {0.4104397619805, -1.22291389924625, 2.0244519365120004}});
}

TEST_CASE("optim sgd momentum with dampening matches torch") {
  SGDOptions o;
  o.lr = 0.1, o.momentum = 0.8, o.dampening = 0.3;
  check_trajectory<SGD>(o, {{0.49, -1.23, 1.97}, {0.454, -1.2175, 1.988}, {0.44620000000000004, -1.2215, 1.9954}});
}

TEST_CASE("optim adam with L2 weight decay matches torch") {
  AdamOptions o;
  o.lr = 0.01, o.beta1 = 0.9, o.beta2 = 0.99, o.eps = 1e-6, o.weight_decay = 0.1;
  check_trajectory<Adam>(o, {{0.4900000666662222, -1.2400000307691361, 1.99000001999996},
                             {0.480836158690709, -1.2317972631548564, 1.989430671926702},
                             {0.47757654809647465, -1.2270490708712611, 1.9863255198416812}});
}

TEST_CASE("optim adamw decoupled weight decay matches torch") {
  AdamWOptions o;
  CHECK(o.weight_decay == 1e-2);  // torch.optim.AdamW default
  o.lr = 0.01, o.weight_decay = 0.5;
  check_trajectory<AdamW>(o, {{0.4875000009999999, -1.2337500005, 1.9800000003333333},
                              {0.4762187363925117, -1.2228865691075446, 1.9737610355248554},
                              {0.47207055969200273, -1.2186190320696155, 1.9657488223331478}});
}

TEST_CASE("optim adam amsgrad matches torch") {
  AdamOptions o;
  o.lr = 0.02, o.beta1 = 0.8, o.beta2 = 0.9, o.amsgrad = true;
  check_trajectory<Adam>(o, {{0.4800000019999998, -1.2300000009999998, 1.9800000006666667},
                             {0.46211734026713075, -1.2215764162320557, 1.9883026651486944},
                             {0.4598137422736403, -1.2271077250377433, 1.9921226651101211}});
}

TEST_CASE("optim adam float32 matches torch float32") {
  AdamOptions o;
  o.lr = 0.01;
  check_trajectory<Adam>(o, {{0.49000000953674316, -1.2400000095367432, 1.9900000095367432},
                             {0.48115622997283936, -1.2353053092956543, 1.9936610460281372},
                             {0.47938916087150574, -1.2371522188186646, 1.995517611503601}},
                         DType::f32, 2e-7);
}

TEST_CASE("optim frozen and zero-lr groups leave parameters unchanged") {
  Tensor enc = param(), dec = param(), head = param();
  ParamGroup g_enc, g_dec, g_head;
  g_enc.params = {{"encoder.w", enc}};
  g_dec.params = {{"decoder.w", dec}};
  g_dec.frozen = true;
  g_dec.name = "decoder";
  g_head.params = {{"head.w", head}};
  g_head.lr = 0.0;
  g_head.weight_decay = 0.0;
  AdamW opt({g_enc, g_dec, g_head});
  CHECK(opt.group(0).lr == 1e-3);
  CHECK(opt.group(0).weight_decay == 1e-2);
  CHECK(opt.group(2).lr == 0.0);
  for (int s = 0; s < 3; ++s) {
    for (Tensor* t : {&enc, &dec, &head}) set_grad(*t, kGrads[s]);
    opt.step();
  }
  CHECK(dec.to_vector() == kP0);
  CHECK(head.to_vector() == kP0);
  CHECK(enc.to_vector() != kP0);
  // the frozen group has no state; the lr-0 group has torch's (moments advance, parameters do not)
  bool dec_state = false, head_state = false;
  for (const auto& [n, t] : opt.state_dict()) {
    dec_state = dec_state || n.rfind("state.decoder.w", 0) == 0;
    head_state = head_state || n.rfind("state.head.w", 0) == 0;
  }
  CHECK_FALSE(dec_state);
  CHECK(head_state);
}

TEST_CASE("optim skips parameters without gradients and zero_grad clears them") {
  Tensor a = param(), b = param();
  SGD opt(NamedTensors{{"a", a}, {"b", b}}, SGDOptions{});
  set_grad(a, kGrads[0]);
  opt.step();
  CHECK(a.to_vector() != kP0);
  CHECK(b.to_vector() == kP0);
  opt.zero_grad();
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("optim state export and import resume the trajectory exactly") {
  AdamOptions o;
  o.amsgrad = true;
  o.lr = 0.05;
  Tensor p1 = param(DType::f32), p2 = param(DType::f32);
  Adam a(NamedTensors{{"w", p1}}, o), b(NamedTensors{{"w", p2}}, o);
  for (int s = 0; s < 2; ++s) {
    set_grad(p1, kGrads[s]);
    a.step();
  }
  {
    NoGradGuard g;
    p2.copy_(p1);
  }
  a.group(0).lr = 0.02;  // e.g. reduced by a scheduler
  b.load_state_dict(a.state_dict());
  CHECK(b.group(0).lr == 0.02);
  set_grad(p1, kGrads[2]);
  set_grad(p2, kGrads[2]);
  a.step();
  b.step();
  CHECK(p1.to_vector() == p2.to_vector());

  NamedTensors st = a.state_dict();
  SUBCASE("wrong shape") {
    for (auto& e : st)
      if (e.first == "state.w.exp_avg") e.second = Tensor::zeros({4});
    CHECK_THROWS_WITH(b.load_state_dict(st), doctest::Contains("'state.w.exp_avg' is float32 (4,)"));
  }
  SUBCASE("unknown parameter") {
    st.emplace_back("state.v.exp_avg", Tensor::zeros({3}));
    CHECK_THROWS_WITH(b.load_state_dict(st), doctest::Contains("unexpected entries"));
  }
  SUBCASE("missing slot") {
    NamedTensors cut;
    for (auto& e : st)
      if (e.first != "state.w.max_exp_avg_sq") cut.push_back(e);
    CHECK_THROWS_WITH(b.load_state_dict(cut), doctest::Contains("no 'max_exp_avg_sq'"));
  }
  SUBCASE("a failed import leaves the optimizer unchanged") {
    st.emplace_back("bogus", Tensor::zeros({1}));
    const auto before = b.state_dict();
    CHECK_THROWS(b.load_state_dict(st));
    const auto after = b.state_dict();
    REQUIRE(before.size() == after.size());
    for (std::size_t i = 0; i < before.size(); ++i) CHECK(test::max_abs_diff(before[i].second, after[i].second) == 0);
  }
}

TEST_CASE("optim rejects bad hyperparameters and parameter lists") {
  Tensor p = param();
  NamedTensors ps{{"p", p}};
  AdamOptions bad_beta;
  bad_beta.beta1 = 1.0;
  CHECK_THROWS_WITH(Adam(ps, bad_beta), doctest::Contains("invalid beta1"));
  SGDOptions nest;
  nest.nesterov = true;
  CHECK_THROWS_WITH(SGD(ps, nest), doctest::Contains("Nesterov momentum requires"));
  SGDOptions neg;
  neg.lr = -1;
  CHECK_THROWS_WITH(SGD(ps, neg), doctest::Contains("invalid learning rate"));
  CHECK_THROWS_WITH(SGD(NamedTensors{{"p", p}, {"q", p}}), doctest::Contains("more than one group"));
  CHECK_THROWS_WITH(SGD(NamedTensors{{"p", p}, {"p", param()}}), doctest::Contains("appears twice"));
  Tensor w = Tensor::ones({2, 3}, DType::f64).set_requires_grad();
  Tensor nonleaf = linear(p.reshape({1, 3}), w);
  CHECK_THROWS_WITH(SGD(NamedTensors{{"y", nonleaf}}), doctest::Contains("non-leaf tensor 'y'"));
}

TEST_CASE("optim adam trains a linear regression through autodiff") {
  // y = x W_true^T + b_true, fitted by minimising the MSE (loss before the last step checked).
  Rng rng(42);
  nn::Linear model(3, 2, rng);
  Tensor x = Tensor::randn({64, 3}, rng);
  Tensor w_true = Tensor::from_vector(std::vector<double>{1.0, -2.0, 0.5, 0.3, 0.8, -1.5}, {2, 3});
  Tensor y = linear(x, w_true, Tensor::from_vector(std::vector<double>{0.2, -0.1}, {2}));
  Adam opt(model.named_parameters(), [] {
    AdamOptions o;
    o.lr = 0.05;
    return o;
  }());
  double first = 0, last = 0;
  for (int it = 0; it < 300; ++it) {
    opt.zero_grad();
    last = test::mse_backward(model.forward(x), y);
    if (it == 0) first = last;
    opt.step();
  }
  CHECK(first > 0.5);
  CHECK(last < 1e-4);
  CHECK(test::max_abs_diff(model.weight, w_true) < 0.02);
}

TEST_CASE("optim maximize equals minimising the negated gradient, and parallel chunks do not change results") {
  const std::int64_t n = 3 * kOptimGrain + 17;  // several chunks
  Rng rng(6);
  Tensor g = Tensor::randn({n}, rng, DType::f64), p0 = Tensor::randn({n}, rng, DType::f64);
  auto run = [&](bool maximize, double sign, int threads) {
    std::vector<double> gs = g.to_vector();
    for (double& v : gs) v *= sign;
    set_num_threads(threads);
    Tensor p = p0.clone().detach().set_requires_grad();
    AdamOptions o;
    o.maximize = maximize, o.amsgrad = true, o.weight_decay = 0.1;
    Adam opt(NamedTensors{{"p", p}}, o);
    for (int s = 0; s < 2; ++s) {
      set_grad(p, gs);
      opt.step();
    }
    set_num_threads(0);
    return p;
  };
  Tensor a = run(true, 1.0, 1), b = run(false, -1.0, 1), c = run(true, 1.0, 2);
  CHECK(test::max_abs_diff(a, b) == 0.0);
  CHECK(test::max_abs_diff(a, c) == 0.0);
  CHECK(test::max_abs_diff(a, p0) > 1e-4);
  // converting a parameter after the optimizer built state is refused
  Tensor q = Tensor::ones({2}).set_requires_grad();
  SGDOptions mo;
  mo.momentum = 0.9;
  SGD sgd(NamedTensors{{"q", q}}, mo);
  set_grad(q, {1.0, 1.0});
  sgd.step();
  q.impl().dtype = DType::f64;  // what Module::to does underneath (storage swapped too)
  q.impl().storage = Tensor::ones({2}, DType::f64).impl().storage;
  set_grad(q, {1.0, 1.0});
  CHECK_THROWS_WITH(sgd.step(), doctest::Contains("convert the module before creating the optimizer"));
}

TEST_CASE("optim ParameterEma: first update copies, then lerps; swap exchanges; state round trip; bad input") {
  Tensor p = Tensor::from_vector(std::vector<double>{1.0, -2.0}, {2}, DType::f64).set_requires_grad();
  ParameterEma ema(NamedTensors{{"w", p}}, 0.9);
  CHECK_THROWS_WITH_AS(ema.swap(), doctest::Contains("no averages yet"), Error);
  CHECK(ema.state_dict().size() == 1);  // only n_averaged before the first update
  ema.update();                         // copies: avg = (1, -2)
  {
    NoGradGuard ng;
    p.copy_(Tensor::from_vector(std::vector<double>{2.0, 0.0}, {2}, DType::f64));
  }
  ema.update();  // avg = 0.9 * avg + 0.1 * p = (1.1, -1.8)
  CHECK(ema.n_averaged() == 2);
  ema.swap();
  CHECK(p.to_vector()[0] == doctest::Approx(1.1).epsilon(1e-15));
  CHECK(p.to_vector()[1] == doctest::Approx(-1.8).epsilon(1e-15));
  CHECK(p.requires_grad());
  const NamedTensors state = ema.state_dict();  // holds the live values (2, 0) while swapped
  CHECK(state[1].second.to_vector() == std::vector<double>{2.0, 0.0});
  ema.swap();
  CHECK(p.to_vector() == std::vector<double>{2.0, 0.0});
  // A fresh average restored from the state continues identically.
  ParameterEma other(NamedTensors{{"w", p}}, 0.9);
  other.load_state_dict(ema.state_dict());
  CHECK(other.n_averaged() == 2);
  ema.update();
  other.update();
  CHECK(ema.state_dict()[1].second.to_vector() == other.state_dict()[1].second.to_vector());
  // Bad input: decay out of range, a state for other parameters, a broken count; nothing changes on error.
  CHECK_THROWS_WITH_AS(ParameterEma(NamedTensors{{"w", p}}, 1.0), doctest::Contains("decay must be in [0, 1)"), Error);
  CHECK_THROWS_AS(ParameterEma(NamedTensors{{"w", p}}, std::nan("")), Error);
  NamedTensors wrong_shape{{"n_averaged", Tensor::scalar(3.0, DType::f64)},
                           {"module.w", Tensor::zeros({3}, DType::f64)}};
  CHECK_THROWS_WITH_AS(other.load_state_dict(wrong_shape), doctest::Contains("average of 'w' has shape (3,) float64"), Error);
  NamedTensors wrong_name{{"n_averaged", Tensor::scalar(3.0, DType::f64)}, {"module.v", Tensor::zeros({2}, DType::f64)}};
  CHECK_THROWS_WITH_AS(other.load_state_dict(wrong_name), doctest::Contains("lacks the average of 'w'"), Error);
  NamedTensors bad_count{{"n_averaged", Tensor::scalar(1.5, DType::f64)}, {"module.w", Tensor::zeros({2}, DType::f64)}};
  CHECK_THROWS_WITH_AS(other.load_state_dict(bad_count), doctest::Contains("is no count"), Error);
  CHECK_THROWS_WITH_AS(other.load_state_dict({}), doctest::Contains("lacks a scalar 'n_averaged'"), Error);
  CHECK(other.n_averaged() == 3);
}
