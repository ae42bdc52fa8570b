// Philox RNG: known-answer test, stream independence, distribution moments, thread-count independence.
#include <cmath>

#include "harness.h"
#include "specnet/context.h"
#include "specnet/cuda/runtime.h"

using namespace specnet;

TEST_CASE("philox4x32-10 known-answer vectors (Random123 kat_vectors)") {
  auto r = philox4x32({0, 0, 0, 0}, 0);
  CHECK(r[0] == 0x6627e8d5u);
  CHECK(r[1] == 0xe169c58du);
  CHECK(r[2] == 0xbc57ac4cu);
  CHECK(r[3] == 0x9b00dbd8u);
  auto s = philox4x32({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, 0xffffffffffffffffull);
  CHECK(s[0] == 0x408f276du);
  CHECK(s[1] == 0x41c83b0eu);
  CHECK(s[2] == 0xa20bc7c6u);
  CHECK(s[3] == 0x6d5451fdu);
}

TEST_CASE("randn moments and determinism across thread counts") {
  set_num_threads(1);
  Rng a(42);
  Tensor t1 = Tensor::randn({200000}, a, DType::f64);
  set_num_threads(2);
  Rng b(42);
  Tensor t2 = Tensor::randn({200000}, b, DType::f64);
  set_num_threads(0);
  auto v1 = t1.to_vector(), v2 = t2.to_vector();
  CHECK(v1 == v2);
  double m = 0, q = 0;
  for (double v : v1) { m += v; q += v * v; }
  m /= v1.size();
  q = q / v1.size() - m * m;
  CHECK(std::abs(m) < 0.01);
  CHECK(std::abs(q - 1) < 0.01);
  Rng c(43);
  CHECK(Tensor::randn({8}, c).to_vector() != Tensor::randn({8}, a).to_vector());
}

TEST_CASE("uniform draws lie in range and streams differ") {
  Rng r(1, 0), s(1, 1);
  Tensor u = Tensor::rand({10000}, r, -2, 3, DType::f64);
  for (double v : u.to_vector()) {
    CHECK(v >= -2);
    CHECK(v < 3);
  }
  CHECK(r.uniform() != s.uniform());
}

TEST_CASE("Context carries threads and the random stream; ContextGuard scopes the thread count") {
  set_num_threads(2);
  Context ctx(42, 1);
  {
    ContextGuard g(ctx);
    CHECK(num_threads() == 1);
    Rng ref(42);
    CHECK(Tensor::randn({4}, ctx.rng).to_vector() == Tensor::randn({4}, ref).to_vector());
  }
  CHECK(num_threads() == 2);
  if (!cuda::cuda_available())
    CHECK_THROWS_WITH(ContextGuard(Context(0, 1, Device::cuda)), doctest::Contains("not available"));
  set_num_threads(0);
}
