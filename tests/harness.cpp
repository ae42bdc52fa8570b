// Implementation of the shared test harness (gradient checks, registry, paths).
#include "harness.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace specnet::test {

std::vector<OpCase>& op_registry() {
  static std::vector<OpCase> r;
  return r;
}

Tensor random_input(const Shape& shape, std::uint64_t seed, bool positive, DType dtype) {
  Rng rng(seed, 7);
  Tensor t = positive ? Tensor::rand(shape, rng, 0.5, 2.5, dtype) : Tensor::randn(shape, rng, dtype);
  return t;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  auto va = a.to_vector(), vb = b.to_vector();
  double m = 0;
  for (std::size_t i = 0; i < va.size(); ++i) m = std::max(m, std::abs(va[i] - vb[i]));
  return m;
}

static double weighted_sum(const Tensor& out, const std::vector<double>& r) {
  auto v = out.to_vector();
  double s = 0;
  for (std::size_t i = 0; i < v.size(); ++i) s += v[i] * r[i];
  return s;
}

double gradcheck(const OpFn& f, std::vector<Tensor> inputs, double eps, double tol,
                 const std::vector<bool>& differentiable) {
  auto diff_ok = [&](std::size_t i) { return differentiable.empty() || differentiable[i]; };
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE(inputs[i].dtype() == DType::f64);
    inputs[i] = inputs[i].clone().detach();
    if (diff_ok(i)) inputs[i].set_requires_grad(true);
  }
  Tensor out = f(inputs);
  Rng rng(1234, 99);
  Tensor rw = Tensor::randn(out.shape(), rng, DType::f64);
  std::vector<double> r = rw.to_vector();
  out.backward(rw);

  double worst = 0;
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!diff_ok(k)) continue;
    Tensor g = inputs[k].grad();
    std::vector<double> analytic = g.defined() ? g.to_vector() : std::vector<double>(inputs[k].numel(), 0.0);
    double* p = inputs[k].data<double>();
    for (std::int64_t i = 0; i < inputs[k].numel(); ++i) {
      double keep = p[i];
      double plus, minus;
      {
        NoGradGuard ng;
        p[i] = keep + eps;
        plus = weighted_sum(f(inputs), r);
        p[i] = keep - eps;
        minus = weighted_sum(f(inputs), r);
        p[i] = keep;
      }
      double numeric = (plus - minus) / (2 * eps);
      double err = std::abs(numeric - analytic[i]) / std::max(1.0, std::abs(numeric));
      worst = std::max(worst, err);
      if (err > tol) {
        FAIL_CHECK("gradient mismatch in input ", k, " element ", i, ": autodiff ", analytic[i], " vs finite difference ",
                   numeric);
        return err;
      }
    }
  }
  return worst;
}

std::string shared_dir() {
  namespace fs = std::filesystem;
  for (const char* c : {SPECNET_SOURCE_DIR "/../shared", SPECNET_SOURCE_DIR "/shared"}) {
    if (fs::exists(fs::path(c) / "docs")) return c;
  }
  return "";
}

std::string fixture_path(const std::string& name) { return std::string(SPECNET_SOURCE_DIR) + "/tests/fixtures/" + name; }

}  // namespace specnet::test
