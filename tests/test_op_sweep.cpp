// The registry sweep: every op registered with SPECNET_OP_CASE gets a float64 finite-difference
// gradient check, a float32-vs-float64 forward consistency check, a thread-count determinism check and
// (when a GPU backend is compiled and present) CPU/CUDA parity. Prints each op's forward FLOPs.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "harness.h"
#include "specnet/context.h"

using namespace specnet;
using namespace specnet::test;

namespace {
std::vector<double> flat(const std::vector<Tensor>& ts) {
  std::vector<double> all;
  for (const Tensor& t : ts)
    for (double v : t.to_vector()) all.push_back(v);
  return all;
}
}  // namespace

TEST_CASE("op sweep: finite-difference gradients in float64") {
  REQUIRE(!op_registry().empty());
  for (const auto& c : op_registry()) {
    CAPTURE(c.name);
    double worst = gradcheck(c.fn, make_op_inputs(c, DType::f64), 1e-6, c.tol, c.differentiable);
    CHECK(worst <= c.tol);
  }
}

TEST_CASE("op sweep: float32 forward agrees with float64") {
  for (const auto& c : op_registry()) {
    CAPTURE(c.name);
    NoGradGuard ng;
    Tensor a = c.fn(make_op_inputs(c, DType::f64));
    Tensor b = c.fn(make_op_inputs(c, DType::f32));
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
      return flat(run_op_case(c, DType::f32));
    };
    auto one = run(1), two = run(2);
    set_num_threads(0);
    REQUIRE(one.size() == two.size());
    bool same = true;
    for (std::size_t i = 0; i < one.size(); ++i) same = same && (one[i] == two[i] || (std::isnan(one[i]) && std::isnan(two[i])));
    CHECK(same);
  }
}

// Every registered op on every other backend against the CPU kernels: the output and every input gradient,
// in float32 (tolerance 1e-4 of the largest CPU value, at least 1) and float64 (1e-9).
TEST_CASE("op sweep: CUDA parity with the CPU kernels") {
  const auto devices = available_devices();
  if (devices.size() == 1) {
    MESSAGE(cuda_skip_reason(), " (", op_registry().size(), " op cases not compared on the GPU)");
    return;
  }
  for (Device dev : devices) {
    if (dev == Device::cpu) continue;
    for (const auto& c : op_registry()) {
      for (DType dtype : {DType::f32, DType::f64}) {
        CAPTURE(c.name);
        CAPTURE(std::string(dtype_name(dtype)));
        const std::vector<Tensor> ref = run_op_case(c, dtype, Device::cpu);
        std::vector<Tensor> got;
        try {
          got = run_op_case(c, dtype, dev);
        } catch (const Error& e) {
          FAIL_CHECK(c.name, " failed on ", std::string(device_name(dev)), ": ", std::string(e.what()));
          continue;
        }
        REQUIRE(got.size() == ref.size());
        const double tol = dtype == DType::f32 ? 1e-4 : 1e-9;
        for (std::size_t k = 0; k < ref.size(); ++k) {
          CAPTURE(k);  // 0: output, then the gradients in input order
          REQUIRE(got[k].shape() == ref[k].shape());
          const auto a = ref[k].to_vector(), b = got[k].to_vector();
          double scale = 1, err = 0;
          bool nan_ok = true;
          for (std::size_t i = 0; i < a.size(); ++i) {
            nan_ok = nan_ok && std::isnan(a[i]) == std::isnan(b[i]);
            if (std::isnan(a[i])) continue;
            scale = std::max(scale, std::abs(a[i]));
            err = std::max(err, std::abs(a[i] - b[i]));
          }
          CHECK(nan_ok);
          CHECK(err <= tol * scale);
        }
      }
    }
  }
}

TEST_CASE("op sweep: forward FLOPs per registered case") {
  std::set<std::string> names;
  for (const auto& c : op_registry()) {
    names.insert(c.name);
    std::printf("  op %-28s forward flops %.3g\n", c.name.c_str(), c.flops);
  }
  CHECK(names.size() == op_registry().size());  // names are unique
}
