// mse_loss, l1_loss, gaussian_nll_loss: every reduction (and, for the Gaussian NLL, every var shape with
// full on and off) registered for the sweep; values computed by hand; torch's eps clamp and errors.
#include <cmath>

#include "harness.h"
#include "specnet/ops/loss.h"

using namespace specnet;

namespace {
const char* tag(Reduction r) { return r == Reduction::none ? "none" : r == Reduction::mean ? "mean" : "sum"; }

// Registers the loss matrix: mse / l1 per reduction, gaussian_nll per reduction x var shape x full.
const bool registered = [] {
  for (Reduction r : {Reduction::none, Reduction::mean, Reduction::sum}) {
    test::RegisterOp({std::string("mse_loss_") + tag(r),
                      {{4, 6}, {4, 6}},
                      [r](const auto& x) { return mse_loss(x[0], x[1], r); },
                      72});
    test::RegisterOp({std::string("l1_loss_") + tag(r),
                      {{4, 6}, {4, 6}},
                      [r](const auto& x) { return l1_loss(x[0], x[1], r); },
                      72});
    for (const Shape& vs : {Shape{4, 6}, Shape{4, 1}, Shape{4}})
      for (bool full : {false, true}) {
        std::string name = std::string("gaussian_nll_") + tag(r) + "_var" + shape_str(vs) + (full ? "_full" : "");
        test::RegisterOp({name,
                          {{4, 6}, {4, 6}, vs},
                          [r, full](const auto& x) { return gaussian_nll_loss(x[0], x[1], x[2], full, 1e-6, r); },
                          24 * 30.0,
                          {false, false, true}});
      }
  }
  return true;
}();

Tensor mat(std::vector<double> v, Shape s) { return Tensor::from_vector(v, s, DType::f64); }
}  // namespace

TEST_CASE("mse and l1 losses: values per reduction") {
  Tensor x = mat({1, 2, 3}, {3}), t = mat({1, 0, 0}, {3});
  CHECK(mse_loss(x, t, Reduction::none).to_vector() == std::vector<double>{0, 4, 9});
  CHECK(mse_loss(x, t, Reduction::sum).item() == 13);
  CHECK(mse_loss(x, t).item() == doctest::Approx(13.0 / 3).epsilon(1e-15));
  CHECK(mse_loss(x, t).shape() == Shape{});
  CHECK(l1_loss(x, t, Reduction::none).to_vector() == std::vector<double>{0, 2, 3});
  CHECK(l1_loss(x, t, Reduction::sum).item() == 5);
  CHECK(l1_loss(x, t).item() == doctest::Approx(5.0 / 3).epsilon(1e-15));
  Tensor xg = mat({1, 2, 3}, {3}).set_requires_grad(true), tg = mat({1, 0, 0}, {3}).set_requires_grad(true);
  mse_loss(xg, tg).backward();
  CHECK(xg.grad().to_vector()[2] == doctest::Approx(2.0 * 3 / 3).epsilon(1e-15));
  CHECK(tg.grad().to_vector()[1] == doctest::Approx(-2.0 * 2 / 3).epsilon(1e-15));
}

TEST_CASE("gaussian_nll_loss: hand-computed values") {
  // loss_i = 0.5 (log var_i + (x_i - t_i)^2 / var_i): 0.5 (0 + 1) and 0.5 (log 4 + 1)
  Tensor x = mat({1, 2}, {2}), t = mat({0, 0}, {2}), v = mat({1, 4}, {2});
  auto none = gaussian_nll_loss(x, t, v, false, 1e-6, Reduction::none).to_vector();
  CHECK(none[0] == 0.5);
  CHECK(none[1] == doctest::Approx(1.1931471805599454).epsilon(1e-15));
  CHECK(gaussian_nll_loss(x, t, v).item() == doctest::Approx(0.8465735902799727).epsilon(1e-15));
  CHECK(gaussian_nll_loss(x, t, v, false, 1e-6, Reduction::sum).item() ==
        doctest::Approx(1.6931471805599454).epsilon(1e-15));
  // full adds 0.5 log(2 pi) per element
  CHECK(gaussian_nll_loss(x, t, v, true).item() == doctest::Approx(1.7655121234846454).epsilon(1e-15));
  // one variance per row, (2, 1) and (2,): row 0 var 1, row 1 var 2
  Tensor x2 = mat({1, 2, 3, 4}, {2, 2}), t2 = mat({0, 0, 0, 0}, {2, 2});
  for (const Shape& vs : {Shape{2, 1}, Shape{2}}) {
    Tensor l = gaussian_nll_loss(x2, t2, mat({1, 2}, vs), false, 1e-6, Reduction::none);
    auto lv = l.to_vector();
    CHECK(l.shape() == Shape{2, 2});
    CHECK(lv[1] == 2.0);
    CHECK(lv[2] == doctest::Approx(2.5965735902799727).epsilon(1e-15));
    CHECK(lv[3] == doctest::Approx(4.346573590279973).epsilon(1e-15));
    CHECK(gaussian_nll_loss(x2, t2, mat({1, 2}, vs), false, 1e-6, Reduction::sum).item() ==
          doctest::Approx(9.443147180559945).epsilon(1e-15));
  }
}

TEST_CASE("gaussian_nll_loss clamps var to eps but passes its gradient through, as torch") {
  Tensor x = mat({0, 1}, {2}), t = mat({0, 1}, {2});
  Tensor v = mat({1e-8, 0.0}, {2}).set_requires_grad(true);
  Tensor l = gaussian_nll_loss(x, t, v, false, 1e-6, Reduction::sum);
  CHECK(l.item() == doctest::Approx(2 * 0.5 * std::log(1e-6)).epsilon(1e-14));
  l.backward();
  // d/dvar 0.5 (log v + d^2 / v) at the clamped v = eps, d = 0: 0.5 / eps
  CHECK(v.grad().to_vector()[0] == doctest::Approx(0.5 / 1e-6).epsilon(1e-12));
  CHECK(v.grad().to_vector()[1] == doctest::Approx(0.5 / 1e-6).epsilon(1e-12));
}

TEST_CASE("losses reject mismatched inputs with clear messages") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({3, 2});
  CHECK_THROWS_WITH(mse_loss(a, b), doctest::Contains("mse_loss: input shape (2, 3) != target shape (3, 2)"));
  CHECK_THROWS_WITH(l1_loss(a, b), doctest::Contains("l1_loss: input shape"));
  CHECK_THROWS_WITH(mse_loss(a, Tensor::zeros({2, 3}, DType::f64)), doctest::Contains("mse_loss: dtype mismatch"));
  Tensor v = Tensor::ones({2, 3});
  CHECK_THROWS_WITH(gaussian_nll_loss(a, b, v), doctest::Contains("gaussian_nll_loss: input shape"));
  CHECK_THROWS_WITH(gaussian_nll_loss(a, a, Tensor::ones({2, 2})),
                    doctest::Contains("var shape (2, 2) must equal input shape (2, 3) or (2, 1)"));
  CHECK_THROWS_WITH(gaussian_nll_loss(a, a, Tensor::full({2, 3}, -1.0)), doctest::Contains("var has a negative entry"));
  CHECK_THROWS_WITH(gaussian_nll_loss(a, a, v, false, 0.0), doctest::Contains("eps must be positive"));
  CHECK_THROWS_WITH(gaussian_nll_loss(a, a, Tensor::ones({2, 3}, DType::f64)), doctest::Contains("dtype mismatch"));
}
