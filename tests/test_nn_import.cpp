// PyTorch weight import: a torch.nn.Sequential state_dict converted by tools/convert_torch_checkpoint.py loads
// strictly into the specnet model and reproduces torch's output (fixtures from tools/make_import_fixture.py).
#include "harness.h"
#include "specnet/io/safetensors.h"
#include "specnet/nn/activation.h"
#include "specnet/nn/container.h"
#include "specnet/nn/linear.h"

using namespace specnet;

TEST_CASE("nn import of a torch MLP state_dict reproduces torch's output") {
  Rng rng(0);
  nn::Sequential model{std::make_shared<nn::Linear>(5, 8, rng), std::make_shared<nn::GELU>(),
                       std::make_shared<nn::Linear>(8, 3, rng)};
  SafeTensors weights = load_safetensors(test::fixture_path("torch_import_mlp.safetensors"));
  CHECK(weights.metadata.at("converter").find("convert_torch_checkpoint") != std::string::npos);
  model.load_state_dict(weights.tensors);
  SafeTensors io = load_safetensors(test::fixture_path("torch_import_mlp_io.safetensors"));
  model.eval();
  Tensor y = model.forward(io.get("input"));
  CHECK(test::max_abs_diff(y, io.get("output")) < 2e-6);
  // the same state_dict written back by specnet has torch's keys and order
  std::vector<std::string> keys;
  for (const auto& e : model.state_dict()) keys.push_back(e.first);
  CHECK(keys == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
}
