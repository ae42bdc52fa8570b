// Shared by the scheduler tests: an SGD optimizer over one scalar parameter per group, each group with its own lr
// (and frozen flag), for checking what a scheduler does to the groups' learning rates.
#pragma once
#include <memory>
#include <vector>

#include "harness.h"
#include "specnet/optim/sgd.h"

namespace specnet::test {

struct SchedulerFixture {
  std::vector<Tensor> params;
  std::unique_ptr<optim::SGD> opt;
  explicit SchedulerFixture(const std::vector<double>& lrs, const std::vector<bool>& frozen = {}) {
    std::vector<optim::ParamGroup> groups;
    for (std::size_t i = 0; i < lrs.size(); ++i) {
      params.push_back(Tensor::zeros({1}).set_requires_grad());
      optim::ParamGroup g;
      g.params = {{str("p", i), params.back()}};
      g.lr = lrs[i];
      g.frozen = i < frozen.size() && frozen[i];
      groups.push_back(g);
    }
    opt = std::make_unique<optim::SGD>(groups);
  }
};

}  // namespace specnet::test
