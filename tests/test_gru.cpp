// gru_layer op (sweep: forward and reverse direction, with and without h0) and nn::GRU: PyTorch parity for a
// 2-layer bidirectional GRU and the paper's hidden-size-1 GRU over 240 steps, parameter names, bad input, timing.
#include <chrono>

#include "harness.h"
#include "specnet/context.h"
#include "specnet/io/safetensors.h"
#include "specnet/nn/gru.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/gru.h"
#include "specnet/ops/reduce.h"

using namespace specnet;

SPECNET_OP_CASE({"gru_layer", {{2, 5, 3}, {2, 4}, {12, 3}, {12, 4}, {12}, {12}},
                 [](const auto& x) { return gru_layer(x[0], x[1], x[2], x[3], x[4], x[5]); }, 2.0 * 2 * 5 * 12 * 7});
// Hidden size 1 takes the lane path (16 float / 8 double rows per SIMD group): 19 rows leave a partial group.
SPECNET_OP_CASE({"gru_layer_h1", {{19, 5, 2}, {19, 1}, {3, 2}, {3, 1}, {3}, {3}},
                 [](const auto& x) { return gru_layer(x[0], x[1], x[2], x[3], x[4], x[5]); }, 2.0 * 19 * 5 * 3 * 3});
SPECNET_OP_CASE({"gru_layer_h1_reverse_noh0", {{19, 4, 1}, {3, 1}, {3, 1}, {3}, {3}},
                 [](const auto& x) { return gru_layer(x[0], Tensor(), x[1], x[2], x[3], x[4], true); },
                 2.0 * 19 * 4 * 3 * 2});
SPECNET_OP_CASE({"gru_layer_reverse_noh0", {{3, 6, 2}, {6, 2}, {6, 2}, {6}, {6}},
                 [](const auto& x) { return gru_layer(x[0], Tensor(), x[1], x[2], x[3], x[4], true); },
                 2.0 * 3 * 6 * 6 * 4});

TEST_CASE("torch parity: nn::GRU, 2 layers, bidirectional (forward, h_n and every gradient)") {
  for (const char* name : {"gru_2layer_bidir", "gru_h1_240_steps"}) {
    SafeTensors st = load_safetensors(test::fixture_path(std::string("flows/") + name + ".safetensors"));
    const auto num = [&](const char* k) { return std::stoll(st.metadata.at(k)); };
    for (DType dt : {DType::f64, DType::f32}) {
      const double tol = dt == DType::f64 ? 1e-10 : 5e-5;
      Rng rng(0);
      nn::GRU gru(num("input_size"), num("hidden_size"), rng, num("num_layers"),
                  st.metadata.at("bidirectional") == "True", true, dt);
      nn::NamedTensors state;
      for (auto& [n, p] : gru.named_parameters()) state.push_back({n, st.get(n)});
      gru.load_state_dict(state, false);
      auto get = [&](const char* k) { return st.get(k).to(dt).clone().detach(); };
      Tensor x = get("input").set_requires_grad(), h0 = get("h0").set_requires_grad();
      nn::GruOutput r = gru.forward(x, h0);
      (sum(r.output * get("grad_output")) + sum(r.h_n * get("grad_h_n"))).backward();
      auto check = [&](const Tensor& got, const std::string& key) {
        REQUIRE_MESSAGE(got.defined(), key, ": missing");
        auto g = got.to_vector(), want = st.get(key).to_vector();
        REQUIRE(g.size() == want.size());
        double worst = 0;
        for (std::size_t i = 0; i < g.size(); ++i)
          worst = std::max(worst, std::abs(g[i] - want[i]) / (1 + std::abs(want[i])));
        CHECK_MESSAGE(worst <= tol, std::string(name), " ", key, " (", dtype_name(dt), "): max scaled error ", worst,
                      "; regenerate with /usr/bin/python3 tools/make_flow_fixtures.py");
      };
      check(r.output, "output");
      check(r.h_n, "h_n");
      check(x.grad(), "grad_input");
      check(h0.grad(), "grad_h0");
      for (auto& [n, p] : gru.named_parameters()) check(p.grad(), "grad_" + n);
    }
  }
}

TEST_CASE("nn::GRU: torch parameter names, order, shapes and init bound") {
  Rng rng(1);
  nn::GRU gru(3, 4, rng, 2, true);
  std::vector<std::string> names;
  for (auto& [n, p] : gru.named_parameters()) names.push_back(n);
  CHECK(names == std::vector<std::string>{"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                                          "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
                                          "bias_hh_l0_reverse", "weight_ih_l1", "weight_hh_l1", "bias_ih_l1",
                                          "bias_hh_l1", "weight_ih_l1_reverse", "weight_hh_l1_reverse",
                                          "bias_ih_l1_reverse", "bias_hh_l1_reverse"});
  auto params = gru.named_parameters();
  CHECK(params[0].second.shape() == Shape{12, 3});
  CHECK(params[8].second.shape() == Shape{12, 8});  // layer 1 reads both directions
  for (auto& [n, p] : params)
    for (double v : p.to_vector()) CHECK(std::abs(v) <= 0.5);
  Tensor out = gru(Tensor::zeros({2, 5, 3}));
  CHECK(out.shape() == Shape{2, 5, 8});
  CHECK_THROWS_WITH(gru(Tensor::zeros({2, 5, 4})), doctest::Contains("input must be"));
  CHECK_THROWS_WITH(gru.forward(Tensor::zeros({2, 5, 3}), Tensor::zeros({4, 2, 3})), doctest::Contains("h0 shape"));
  CHECK_THROWS_WITH(gru_layer(Tensor::zeros({2, 5, 3}), Tensor(), Tensor::zeros({12, 2}), Tensor::zeros({12, 4}),
                              Tensor(), Tensor()),
                    doctest::Contains("weight_ih shape"));
  CHECK_THROWS_WITH(gru_layer(Tensor::zeros({2, 5, 3}), Tensor(), Tensor::zeros({12, 3}), Tensor::zeros({12, 4}),
                              Tensor::zeros({11}), Tensor()),
                    doctest::Contains("bias shape"));
}

TEST_CASE("nn::GRU: paper decoder use (hidden 1, 240 steps, 2 layers, bidirectional) timing") {
  Rng rng(2);
  nn::GRU gru(1, 1, rng, 2, true);
  Tensor x = Tensor::randn({256, 240, 1}, rng).set_requires_grad();
  auto t0 = std::chrono::steady_clock::now();
  Tensor out = gru(x);
  auto t1 = std::chrono::steady_clock::now();
  sum(out).backward();
  auto t2 = std::chrono::steady_clock::now();
  CHECK(out.shape() == Shape{256, 240, 2});
  MESSAGE("GRU(1, 1, 2 layers, bidirectional), batch 256 x 240 steps: forward ",
          std::chrono::duration<double, std::milli>(t1 - t0).count(), " ms, backward ",
          std::chrono::duration<double, std::milli>(t2 - t1).count(), " ms");
}

TEST_CASE("nn::GRU: bitwise identical outputs and gradients for 1 and 3 threads (several batch chunks)") {
  // hidden 3: the general path in 8-row chunks; hidden 1: the SIMD lane path (16 float / 8 double rows a group).
  for (std::int64_t hidden : {3, 1})
    for (DType dt : {DType::f64, DType::f32}) {
      CAPTURE(hidden);
      CAPTURE(dtype_name(dt));
      std::vector<double> ref;
      for (int threads : {1, 3}) {
        set_num_threads(threads);
        Rng rng(4);
        nn::GRU gru(2, hidden, rng, 2, true, true, dt);
        Tensor x = Tensor::randn({37, 11, 2}, rng, dt).set_requires_grad();
        Tensor out = gru(x);
        sum(out * out).backward();
        std::vector<double> all = out.to_vector();
        for (double v : x.grad().to_vector()) all.push_back(v);
        for (auto& [n, p] : gru.named_parameters())
          for (double v : p.grad().to_vector()) all.push_back(v);
        if (ref.empty()) ref = all;
        else CHECK(all == ref);
      }
    }
  set_num_threads(0);
}

TEST_CASE("nn::GRU: bias=false equals zero biases") {
  Rng rng(6);
  nn::GRU with(2, 3, rng, 1, true, true, DType::f64), without(2, 3, rng, 1, true, false, DType::f64);
  CHECK(without.named_parameters().size() == 4);
  {
    NoGradGuard ng;
    for (auto& [n, p] : with.named_parameters()) {
      if (n.rfind("bias", 0) == 0) p.zero_();
      else
        for (auto& [m, q] : without.named_parameters())
          if (m == n) p.copy_(q);
    }
  }
  Tensor x = test::random_input({2, 5, 2}, 7);
  CHECK(test::max_abs_diff(with(x), without(x)) == 0);
}
