// Implementation of the shared test harness (gradient checks, registry, paths).
#include "harness.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "specnet/cuda/runtime.h"

namespace specnet::test {

std::vector<OpCase>& op_registry() {
  static std::vector<OpCase> r;
  return r;
}

std::vector<Tensor> make_op_inputs(const OpCase& c, DType dtype, Device device) {
  std::vector<Tensor> in;
  for (std::size_t i = 0; i < c.shapes.size(); ++i) {
    const bool pos = i < c.positive.size() && c.positive[i];
    in.push_back(random_input(c.shapes[i], 100 + i, pos, DType::f64).to(dtype).to(device));
  }
  return in;
}

std::vector<Tensor> run_op_case(const OpCase& c, DType dtype, Device device) {
  std::vector<Tensor> in = make_op_inputs(c, dtype, device);
  for (std::size_t i = 0; i < in.size(); ++i)
    if (c.differentiable.empty() || c.differentiable[i]) in[i].set_requires_grad(true);
  Tensor out = c.fn(in);
  Rng rng(5, 5);
  out.backward(Tensor::randn(out.shape(), rng, out.dtype()).to(device));
  std::vector<Tensor> results{out.detach().to(Device::cpu)};
  for (const Tensor& t : in)
    if (t.grad().defined()) results.push_back(t.grad().to(Device::cpu));
  return results;
}

std::vector<Device> available_devices() {
  std::vector<Device> d{Device::cpu};
  if (cuda::cuda_available()) d.push_back(Device::cuda);
  return d;
}

std::string cuda_skip_reason() {
#ifdef SPECNET_WITH_CUDA
  return cuda::cuda_available() ? "" : "skipped: CUDA backend compiled, but " + cuda::device_description();
#else
  return "skipped: this build has no CUDA backend (configured without nvcc or with -DSPECNET_CUDA=OFF)";
#endif
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

double gradcheck_in_place(const std::function<Tensor()>& eval, const std::vector<std::pair<std::string, Tensor>>& wrt,
                          double eps, double tol) {
  Tensor out = eval();
  Rng rng(1234, 99);
  Tensor rw = Tensor::randn(out.shape(), rng, DType::f64);
  std::vector<double> r = rw.to_vector();
  out.backward(rw);

  double worst = 0;
  for (const auto& [name, t] : wrt) {
    REQUIRE(t.dtype() == DType::f64);
    Tensor g = t.grad();
    std::vector<double> analytic = g.defined() ? g.to_vector() : std::vector<double>(t.numel(), 0.0);
    double* p = const_cast<Tensor&>(t).data<double>();
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      double keep = p[i];
      double plus, minus;
      {
        NoGradGuard ng;
        p[i] = keep + eps;
        plus = weighted_sum(eval(), r);
        p[i] = keep - eps;
        minus = weighted_sum(eval(), r);
        p[i] = keep;
      }
      double numeric = (plus - minus) / (2 * eps);
      double err = std::abs(numeric - analytic[i]) / std::max(1.0, std::abs(numeric));
      worst = std::max(worst, err);
      if (err > tol) {
        FAIL_CHECK("gradient mismatch in ", name, " element ", i, ": autodiff ", analytic[i], " vs finite difference ",
                   numeric);
        return err;
      }
    }
  }
  return worst;
}

double gradcheck(const OpFn& f, std::vector<Tensor> inputs, double eps, double tol,
                 const std::vector<bool>& differentiable) {
  std::vector<std::pair<std::string, Tensor>> wrt;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE(inputs[i].dtype() == DType::f64);
    inputs[i] = inputs[i].clone().detach();
    if (differentiable.empty() || differentiable[i]) {
      inputs[i].set_requires_grad(true);
      wrt.push_back({"input " + std::to_string(i), inputs[i]});
    }
  }
  return gradcheck_in_place([&] { return f(inputs); }, wrt, eps, tol);
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
