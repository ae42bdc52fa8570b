// Finite-difference gradient checks in float64 for every module, with respect to the input and every
// parameter (the module's own tensors are perturbed in place). Modules with random state (Dropout) have
// their RNG rewound before each evaluation so that every evaluation uses the same mask.
#include "harness.h"
#include "specnet/nn/activation.h"
#include "specnet/nn/batchnorm.h"
#include "specnet/nn/container.h"
#include "specnet/nn/conv.h"
#include "specnet/nn/dropout.h"
#include "specnet/nn/ic_cae.h"
#include "specnet/nn/linear.h"
#include "specnet/nn/unflatten.h"

using namespace specnet;

namespace {

// Checks d sum(module(x) * r) / d {x, parameters} against central differences; returns the worst error.
double module_gradcheck(nn::Module& m, const Shape& input_shape, double tol = 1e-6) {
  m.to(DType::f64);
  m.zero_grad();
  std::vector<std::uint64_t> rng_offsets;
  for (auto& [name, rng] : m.named_rngs()) rng_offsets.push_back(rng->offset());
  Tensor x = test::random_input(input_shape, 11).set_requires_grad();
  std::vector<std::pair<std::string, Tensor>> wrt{{"input", x}};
  for (auto& [name, p] : m.named_parameters()) wrt.push_back({m.type_name() + " " + name, p});
  return test::gradcheck_in_place(
      [&] {
        auto rngs = m.named_rngs();  // rewind: every evaluation draws the same dropout mask
        for (std::size_t i = 0; i < rngs.size(); ++i) rngs[i].second->set_offset(rng_offsets[i]);
        return m.forward(x);
      },
      wrt, 1e-6, tol);
}

nn::Conv1dOptions conv_opt(std::int64_t stride, std::int64_t pad, std::int64_t out_pad = 0) {
  nn::Conv1dOptions o;
  o.stride = stride;
  o.padding = pad;
  o.output_padding = out_pad;
  return o;
}

}  // namespace

TEST_CASE("module gradcheck: Linear, Conv1d, ConvTranspose1d") {
  Rng rng(1);
  nn::Linear lin(5, 3, rng);
  CHECK(module_gradcheck(lin, {4, 5}) < 1e-6);
  nn::Conv1d conv(3, 4, 3, rng, conv_opt(2, 1));
  CHECK(module_gradcheck(conv, {2, 3, 9}) < 1e-6);
  nn::ConvTranspose1d tconv(3, 2, 3, rng, conv_opt(2, 1, 1));
  CHECK(module_gradcheck(tconv, {2, 3, 5}) < 1e-6);
}

TEST_CASE("module gradcheck: BatchNorm1d in training and eval mode") {
  nn::BatchNorm1d bn(3);
  CHECK(module_gradcheck(bn, {4, 3, 5}) < 1e-6);
  nn::BatchNorm1d bn2(3);
  CHECK(module_gradcheck(bn2, {6, 3}) < 1e-6);
  nn::BatchNorm1d bn_eval(3);
  bn_eval.eval();
  CHECK(module_gradcheck(bn_eval, {4, 3, 5}) < 1e-6);
}

TEST_CASE("module gradcheck: activations, Dropout, Sequential, Residual, Unflatten") {
  for (std::shared_ptr<nn::Module> act : std::vector<std::shared_ptr<nn::Module>>{
           std::make_shared<nn::GELU>(), std::make_shared<nn::GELU>(true), std::make_shared<nn::ELU>(),
           std::make_shared<nn::SELU>(), std::make_shared<nn::Sigmoid>(), std::make_shared<nn::Tanh>(),
           std::make_shared<nn::Softplus>()}) {
    CAPTURE(act->type_name());
    CHECK(module_gradcheck(*act, {3, 7}) < 1e-6);
  }
  nn::Dropout drop(0.3, 9);
  CHECK(module_gradcheck(drop, {4, 6}) < 1e-6);
  Rng rng(2);
  nn::Sequential seq{std::make_shared<nn::Linear>(6, 5, rng), std::make_shared<nn::GELU>(),
                     std::make_shared<nn::Linear>(5, 2, rng)};
  CHECK(module_gradcheck(seq, {3, 6}) < 1e-6);
  auto main_path = std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::Module>>{
      std::make_shared<nn::Conv1d>(2, 2, 3, rng, conv_opt(1, 1)), std::make_shared<nn::BatchNorm1d>(2)});
  nn::Residual res(main_path, nullptr, std::make_shared<nn::GELU>());
  CHECK(module_gradcheck(res, {3, 2, 6}) < 1e-6);
  nn::Unflatten unflat(1, {2, 3});
  CHECK(module_gradcheck(unflat, {2, 6}) < 1e-6);
}

TEST_CASE("module gradcheck: IC-search residual blocks and a small whole CAE") {
  Rng rng(4);
  nn::BasicBlock enc_block(2, 3, 2, false, rng);
  CHECK(module_gradcheck(enc_block, {3, 2, 8}) < 1e-6);
  nn::BasicBlock dec_block(3, 2, 2, true, rng);
  CHECK(module_gradcheck(dec_block, {3, 3, 4}) < 1e-6);
  nn::IcCaeConfig cfg;
  cfg.n_bins = 16;
  cfg.latent = 2;
  cfg.channels = {2, 3, 4};
  cfg.hidden = {5, 3};
  nn::IcCae cae(cfg, rng);
  CHECK(module_gradcheck(cae, {3, 1, 16}, 2e-6) < 2e-6);
}
