// Test harness shared by the suite: finite-difference gradient checks in float64, the op registry that
// the sweep test runs on every compiled backend, fixture and shared-data paths.
#pragma once
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "specnet/autograd.h"
#include "specnet/tensor.h"

namespace specnet::test {

using OpFn = std::function<Tensor(const std::vector<Tensor>&)>;

// Compares autodiff gradients of sum(f(inputs) * r) (r fixed random weights) with central differences.
// Inputs must be float64; each gets requires_grad. Returns the largest relative error found.
double gradcheck(const OpFn& f, std::vector<Tensor> inputs, double eps = 1e-6, double tol = 1e-6,
                 const std::vector<bool>& differentiable = {});

// The same check on tensors that `eval` reads (module parameters, inputs), perturbed in place: each tensor in
// `wrt` must be float64 with requires_grad and no .grad yet. Returns the largest relative error found.
double gradcheck_in_place(const std::function<Tensor()>& eval, const std::vector<std::pair<std::string, Tensor>>& wrt,
                          double eps = 1e-6, double tol = 1e-6);

// Random float64 tensor (normal) with a fixed seed; `positive` shifts it to [0.5, 2.5) for log/sqrt.
Tensor random_input(const Shape& shape, std::uint64_t seed, bool positive = false, DType dtype = DType::f64);

// Max absolute difference and max |b|, for tolerance checks.
double max_abs_diff(const Tensor& a, const Tensor& b);

// An op the sweep test knows: inputs are made from `shapes` (float64), `fn` runs it, `flops` estimates the
// forward cost. `positive` marks inputs that must be > 0. `differentiable` marks inputs that get gradients.
struct OpCase {
  std::string name;
  std::vector<Shape> shapes;
  OpFn fn;
  double flops = 0;
  std::vector<bool> positive = {};
  std::vector<bool> differentiable = {};
  double tol = 1e-6;
};
std::vector<OpCase>& op_registry();
struct RegisterOp {
  explicit RegisterOp(OpCase c) { op_registry().push_back(std::move(c)); }
};

// The case's inputs (seeds 100 + i, positive where flagged) in `dtype` on `device`, as leaves without grad.
std::vector<Tensor> make_op_inputs(const OpCase& c, DType dtype, Device device = Device::cpu);
// Runs the case on `device`: differentiable inputs get requires_grad, the output is back-propagated with a
// fixed random seed (Rng(5, 5)). Returns the output followed by each input gradient that exists, on the CPU.
std::vector<Tensor> run_op_case(const OpCase& c, DType dtype, Device device = Device::cpu);

// Backends this build and machine can run: cpu, and cuda when compiled in and a GPU is present.
std::vector<Device> available_devices();
// Why CUDA checks are skipped here ("" when a GPU backend is available), for MESSAGE.
std::string cuda_skip_reason();

// "../shared" next to the checkout, or "" when absent (tests that need it skip with a message).
std::string shared_dir();
std::string fixture_path(const std::string& name);  // tests/fixtures/<name>

}  // namespace specnet::test

#define SPECNET_CAT_(a, b) a##b
#define SPECNET_CAT(a, b) SPECNET_CAT_(a, b)
// Registers an OpCase for the sweep: SPECNET_OP_CASE({"gelu", {{3, 4}}, [](auto& x) { return gelu(x[0]); }});
#define SPECNET_OP_CASE(...) \
  static ::specnet::test::RegisterOp SPECNET_CAT(specnet_op_case_, __LINE__)(::specnet::test::OpCase __VA_ARGS__)
