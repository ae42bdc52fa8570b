// Activation modules (torch.nn.GELU, ReLU, ELU, SELU, Sigmoid, Tanh, Softplus) plus Identity and Flatten:
// parameter-free wrappers over the functional ops with torch's constructor defaults. Defined inline so that
// a binary links only the activation ops it uses.
#pragma once
#include "specnet/nn/module.h"
#include "specnet/ops/activation.h"

namespace specnet::nn {

class GELU : public Module {
 public:
  explicit GELU(bool tanh_approximation = false) : tanh_approximation(tanh_approximation) {}
  Tensor forward(const Tensor& x) override { return gelu(x, tanh_approximation); }
  std::string type_name() const override { return "GELU"; }
  bool tanh_approximation;
};

class ReLU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return relu(x); }
  std::string type_name() const override { return "ReLU"; }
};

class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : alpha(alpha) {}
  Tensor forward(const Tensor& x) override { return elu(x, alpha); }
  std::string type_name() const override { return "ELU"; }
  double alpha;
};

class SELU : public Module {
 public:
  Tensor forward(const Tensor& x) override { return selu(x); }
  std::string type_name() const override { return "SELU"; }
};

class Sigmoid : public Module {
 public:
  Tensor forward(const Tensor& x) override { return sigmoid(x); }
  std::string type_name() const override { return "Sigmoid"; }
};

class Tanh : public Module {
 public:
  Tensor forward(const Tensor& x) override { return specnet::tanh(x); }
  std::string type_name() const override { return "Tanh"; }
};

class Softplus : public Module {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0) : beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor& x) override { return softplus(x, beta, threshold); }
  std::string type_name() const override { return "Softplus"; }
  double beta, threshold;
};

class Identity : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x; }
  std::string type_name() const override { return "Identity"; }
};

// torch.nn.Flatten(start_dim=1, end_dim=-1): (B, C, L) -> (B, C L).
class Flatten : public Module {
 public:
  explicit Flatten(std::int64_t start_dim = 1) : start_dim(start_dim) {}
  Tensor forward(const Tensor& x) override { return x.flatten(start_dim); }
  std::string type_name() const override { return "Flatten"; }
  std::int64_t start_dim;
};

}  // namespace specnet::nn
