// Shared by `specnet model` and `specnet simulate`: the model expression of --model with the fixed values of
// --params applied (XSPEC's `model` + `newpar`), with clear errors for a missing expression or bad values.
#pragma once
#include "command.h"
#include "specnet/error.h"
#include "specnet/sim/composite_model.h"
#include "specnet/sim/fakeit.h"

namespace specnet::cli {

inline sim::CompositeModel model_from_options(const Options& opt) {
  SPECNET_CHECK(!opt.str("model").empty(), "--model is required\n", opt.usage());
  sim::CompositeModel model(opt.str("model"));
  for (const auto& [name, value] : sim::parse_param_values(opt.str("params"))) model.set(name, value);
  return model;
}

}  // namespace specnet::cli
