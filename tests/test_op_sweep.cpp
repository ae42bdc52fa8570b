// The registry sweep: every op registered with SPECNET_OP_CASE gets a float64 finite-difference
// gradient check, a float32-vs-float64 forward consistency check, a thread-count determinism check and
// (when a GPU backend is compiled and present) CPU/CUDA parity. Prints each op's forward FLOPs.
#include <cmath>
#include <cstdio>
#include <set>

#include "harness.h"
#include "specnet/context.h"

using namespace specnet;
using namespace specnet::test;

namespace {
std::vector<Tensor> make_inputs(const OpCase& c, DType dtype) {
  std::vector<Tensor> in;
  for (std::size_t i = 0; i < c.shapes.size(); ++i) {
    bool pos = i < c.positive.size() && c.positive[i];
    in.push_back(random_input(c.shapes[i], 100 + i, pos, DType::f64).to(dtype));
  }
  return in;
}
}  // namespace

TEST_CASE("op sweep: finite-difference gradients in float64") {
  REQUIRE(!op_registry().empty());
  for (const auto& c : op_registry()) {
    CAPTURE(c.name);
    double worst = gradcheck(c.fn, make_inputs(c, DType::f64), 1e-6, c.tol, c.differentiable);
    CHECK(worst <= c.tol);
  }
}

TEST_CASE("op sweep: float32 forward agrees with float64") {
  for (const auto& c : op_registry()) {
    CAPTURE(c.name);
    NoGradGuard ng;
    Tensor a = c.fn(make_inputs(c, DType::f64));
    Tensor b = c.fn(make_inputs(c, DType::f32));
    CHECK(b.dtype() == DType::f32);
    auto va = a.to_vector(), vb = b.to_vector();
    REQUIRE(va.size() == vb.size());
    double scale = 1e-30, err = 0;
    for (std::size_t i = 0; i < va.size(); ++i) {
      scale = std::max(scale, std::abs(va[i]));
      err = std::max(err, std::abs(va[i] - vb[i]));
    }
    CHECK(err <= 1e-4 * std::max(1.0, scale));
  }
}

TEST_CASE("op sweep: identical results for 1 and 2 threads") {
  for (const auto& c : op_registry()) {
    CAPTURE(c.name);
    auto run = [&](int threads) {
      set_num_threads(threads);
      auto in = make_inputs(c, DType::f32);
      for (std::size_t i = 0; i < in.size(); ++i)
        if (c.differentiable.empty() || c.differentiable[i]) in[i].set_requires_grad(true);
      Tensor out = c.fn(in);
      Rng rng(5, 5);
      out.backward(Tensor::randn(out.shape(), rng, out.dtype()));
      std::vector<double> all = out.to_vector();
      for (auto& t : in)
        if (t.grad().defined())
          for (double v : t.grad().to_vector()) all.push_back(v);
      return all;
    };
    auto one = run(1), two = run(2);
    set_num_threads(0);
    REQUIRE(one.size() == two.size());
    bool same = true;
    for (std::size_t i = 0; i < one.size(); ++i) same = same && (one[i] == two[i] || (std::isnan(one[i]) && std::isnan(two[i])));
    CHECK(same);
  }
}

TEST_CASE("op sweep: CUDA parity with the CPU kernels") {
#ifdef SPECNET_WITH_CUDA
  MESSAGE("CUDA parity runs in test_cuda_parity.cpp");
#else
  MESSAGE("skipped: this build has no CUDA backend (SPECNET_WITH_CUDA undefined)");
#endif
}

TEST_CASE("op sweep: forward FLOPs per registered case") {
  std::set<std::string> names;
  for (const auto& c : op_registry()) {
    names.insert(c.name);
    std::printf("  op %-28s forward flops %.3g\n", c.name.c_str(), c.flops);
  }
  CHECK(names.size() == op_registry().size());  // names are unique
}
