// batch_norm: sweep registrations (training / eval, (B, C) / (B, C, L), with and without affine), running-statistic
// updates after one step (torch's momentum rule with the unbiased variance), eval values and argument errors.
#include <cmath>

#include "harness.h"
#include "specnet/ops/batchnorm.h"

using namespace specnet;

namespace {
// Fresh running buffers per call, so every finite-difference evaluation sees the same state.
Tensor fresh(const std::vector<double>& v, DType dtype, Device device = Device::cpu) {
  return Tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}, dtype).to(device);
}
Tensor bn_train(const std::vector<Tensor>& x, bool affine) {
  const std::int64_t C = x[0].size(1);
  // Running buffers live on the input's device, as a module's buffers do after Module::to(device).
  Tensor rm = Tensor::zeros({C}, x[0].dtype(), x[0].device()), rv = Tensor::ones({C}, x[0].dtype(), x[0].device());
  return batch_norm(x[0], rm, rv, affine ? x[1] : Tensor(), affine ? x[2] : Tensor(), true);
}
Tensor bn_eval(const std::vector<Tensor>& x, bool affine) {
  const DType dt = x[0].dtype();
  Tensor rm = fresh({0.3, -0.2, 0.1}, dt, x[0].device()), rv = fresh({0.5, 2.0, 1.5}, dt, x[0].device());
  return batch_norm(x[0], rm, rv, affine ? x[1] : Tensor(), affine ? x[2] : Tensor(), false);
}
}  // namespace

SPECNET_OP_CASE({"batch_norm_train_3d_affine", {{4, 3, 5}, {3}, {3}}, [](const auto& x) { return bn_train(x, true); },
                 8.0 * 60});
SPECNET_OP_CASE({"batch_norm_train_2d_affine", {{6, 3}, {3}, {3}}, [](const auto& x) { return bn_train(x, true); },
                 8.0 * 18});
SPECNET_OP_CASE({"batch_norm_train_3d_plain", {{4, 3, 5}}, [](const auto& x) { return bn_train(x, false); },
                 6.0 * 60});
SPECNET_OP_CASE({"batch_norm_eval_3d_affine", {{4, 3, 5}, {3}, {3}}, [](const auto& x) { return bn_eval(x, true); },
                 2.0 * 60});
SPECNET_OP_CASE({"batch_norm_eval_2d_plain", {{6, 3}}, [](const auto& x) { return bn_eval(x, false); }, 2.0 * 18});

TEST_CASE("batch_norm training normalises with batch statistics and updates the running buffers") {
  // Channel 0 holds {1, 2, 3, 6}, channel 1 holds {-1, -1, 1, 1} over (B = 2, L = 2).
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, -1, -1, 3, 6, 1, 1}, {2, 2, 2}, DType::f64);
  Tensor rm = fresh({0.5, 0.0}, DType::f64), rv = fresh({1.0, 2.0}, DType::f64);
  Tensor w = fresh({2.0, 1.0}, DType::f64), b = fresh({0.0, 10.0}, DType::f64);
  Tensor y = batch_norm(x, rm, rv, w, b, true, 0.1, 1e-5);
  // Channel 0: mean 3, biased var 3.5, unbiased var 14 / 3; channel 1: mean 0, biased var 1, unbiased 4 / 3.
  CHECK(rm.at({0}) == doctest::Approx(0.9 * 0.5 + 0.1 * 3).epsilon(1e-14));
  CHECK(rm.at({1}) == doctest::Approx(0.0).epsilon(1e-14));
  CHECK(rv.at({0}) == doctest::Approx(0.9 * 1.0 + 0.1 * 14.0 / 3).epsilon(1e-14));
  CHECK(rv.at({1}) == doctest::Approx(0.9 * 2.0 + 0.1 * 4.0 / 3).epsilon(1e-14));
  const double r0 = 1 / std::sqrt(3.5 + 1e-5), r1 = 1 / std::sqrt(1 + 1e-5);
  CHECK(y.at({0, 0, 0}) == doctest::Approx(2 * (1 - 3) * r0).epsilon(1e-12));
  CHECK(y.at({1, 0, 1}) == doctest::Approx(2 * (6 - 3) * r0).epsilon(1e-12));
  CHECK(y.at({0, 1, 0}) == doctest::Approx(10 - r1).epsilon(1e-12));
  CHECK(y.at({1, 1, 1}) == doctest::Approx(10 + r1).epsilon(1e-12));
  // A second step moves the running mean again (momentum 0.5 this time); undefined buffers are allowed.
  batch_norm(x, rm, rv, w, b, true, 0.5, 1e-5);
  CHECK(rm.at({0}) == doctest::Approx(0.5 * (0.9 * 0.5 + 0.3) + 0.5 * 3).epsilon(1e-14));
  CHECK(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true).shape() == x.shape());
  // Strided running buffers (views into a larger tensor) are updated through the view.
  Tensor base = Tensor::zeros({2, 2}, DType::f64);
  Tensor rm_view = make_view(base, {2}, {2}, 0), rv_view = make_view(base, {2}, {2}, 1);  // columns of base
  REQUIRE(!rm_view.is_contiguous());
  batch_norm(x, rm_view, rv_view, w, b, true, 0.1, 1e-5);
  CHECK(base.at({0, 0}) == doctest::Approx(0.3).epsilon(1e-14));
  CHECK(base.at({0, 1}) == doctest::Approx(0.1 * 14.0 / 3).epsilon(1e-14));
  CHECK(base.at({1, 1}) == doctest::Approx(0.1 * 4.0 / 3).epsilon(1e-14));
}

TEST_CASE("batch_norm eval uses the running statistics and leaves them unchanged") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::f64);
  Tensor rm = fresh({1.0, -1.0}, DType::f64), rv = fresh({4.0, 0.25}, DType::f64);
  Tensor y = batch_norm(x, rm, rv, Tensor(), fresh({0.0, 1.0}, DType::f64), false, 0.1, 0.0);
  CHECK(y.to_vector() == std::vector<double>{0.0, 1 + 3 / 0.5, 1.0, 1 + 5 / 0.5});
  CHECK(rm.to_vector() == std::vector<double>{1.0, -1.0});
  CHECK(rv.to_vector() == std::vector<double>{4.0, 0.25});
}

TEST_CASE("batch_norm float32 statistics stay accurate for a large offset") {
  // Double accumulation and the two-pass variance keep a 1e4 offset from swamping a unit spread.
  Rng rng(3, 1);
  Tensor x = Tensor::randn({64, 2, 500}, rng, DType::f32);
  Tensor shifted = Tensor::full({64, 2, 500}, 1e4, DType::f32);
  {
    NoGradGuard ng;
    std::vector<double> v = x.to_vector();
    for (auto& e : v) e += 1e4;
    shifted = Tensor::from_vector(v, x.shape(), DType::f32);
  }
  Tensor rm = Tensor::zeros({2}), rv = Tensor::zeros({2});
  Tensor y = batch_norm(shifted, rm, rv, Tensor(), Tensor(), true, 1.0);
  for (std::int64_t c = 0; c < 2; ++c) {
    CHECK(rv.at({c}) == doctest::Approx(1.0).epsilon(0.05));
    double s = 0, ss = 0;
    for (std::int64_t b = 0; b < 64; ++b)
      for (std::int64_t l = 0; l < 500; ++l) {
        double v = y.at({b, c, l});
        s += v;
        ss += v * v;
      }
    CHECK(std::abs(s / 32000) < 1e-3);
    CHECK(ss / 32000 == doctest::Approx(1.0).epsilon(1e-3));
  }
}

TEST_CASE("batch_norm rejects bad arguments with clear messages") {
  Tensor x = Tensor::zeros({4, 3, 5}), rm = Tensor::zeros({3}), rv = Tensor::ones({3});
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({1, 3, 1}), rm, rv, Tensor(), Tensor(), true),
                    doctest::Contains("Expected more than 1 value per channel"));
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({1, 3}), rm, rv, Tensor(), Tensor(), true),
                    doctest::Contains("Expected more than 1 value per channel"));
  CHECK(batch_norm(Tensor::zeros({1, 3}), rm, rv, Tensor(), Tensor(), false).shape() == Shape{1, 3});
  CHECK_THROWS_WITH(batch_norm(x, Tensor::zeros({4}), rv, Tensor(), Tensor(), true),
                    doctest::Contains("running_mean shape"));
  CHECK_THROWS_WITH(batch_norm(x, rm, rv, Tensor::ones({2}), Tensor(), true), doctest::Contains("weight shape"));
  CHECK_THROWS_WITH(batch_norm(x, rm, Tensor(), Tensor(), Tensor(), true), doctest::Contains("or neither"));
  CHECK_THROWS_WITH(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), false), doctest::Contains("eval mode"));
  CHECK_THROWS_WITH(batch_norm(Tensor::zeros({4}), rm, rv, Tensor(), Tensor(), true),
                    doctest::Contains("(B, C) or (B, C, L)"));
  CHECK_THROWS_WITH(batch_norm(x, rm.to(DType::f64), rv, Tensor(), Tensor(), true), doctest::Contains("dtype"));
  CHECK_THROWS_WITH(batch_norm(x, rm, rv, Tensor(), Tensor(), true, 0.1, -1.0), doctest::Contains("eps"));
  Tensor rg = Tensor::zeros({3}).set_requires_grad(true);
  CHECK_THROWS_WITH(batch_norm(x, rg, rv, Tensor(), Tensor(), true), doctest::Contains("buffers"));
}
