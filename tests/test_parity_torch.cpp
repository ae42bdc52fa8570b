// PyTorch parity: every fixture written by tools/make_fixtures.py (torch, float64) is replayed here —
// forward values and every input gradient, in float64 (tight) and float32 (float32 tolerance); optimizer
// trajectories, ReduceLROnPlateau schedules and a whole IC-search CAE forward/backward.
// On a mismatch, regenerate the references with `/usr/bin/python3 tools/make_fixtures.py`.
#include <cmath>
#include <functional>
#include <map>
#include <sstream>

#include "harness.h"
#include "specnet/io/safetensors.h"
#include "specnet/nn/ic_cae.h"
#include "specnet/ops.h"
#include "specnet/optim/adam.h"
#include "specnet/optim/ema.h"
#include "specnet/optim/plateau.h"
#include "specnet/optim/sgd.h"

using namespace specnet;

namespace {

struct Fixture {
  SafeTensors st;
  explicit Fixture(const std::string& name) : st(load_safetensors(test::fixture_path(name + ".safetensors"))) {}
  Tensor get(const std::string& n, DType dtype = DType::f64) const { return st.get(n).to(dtype).clone().detach(); }
  bool has(const std::string& n) const { return st.contains(n); }
  std::string meta(const std::string& k) const {
    auto it = st.metadata.find(k);
    REQUIRE_MESSAGE(it != st.metadata.end(), "fixture metadata lacks '", k, "'");
    return it->second;
  }
  double num(const std::string& k) const { return std::stod(meta(k)); }
  bool flag(const std::string& k) const { return meta(k) == "True"; }
};

std::vector<std::int64_t> int_list(const std::string& s) {
  std::vector<std::int64_t> v;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(std::stoll(item));
  return v;
}

// |got - want| <= tol (1 + |want|) elementwise.
void check_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  REQUIRE_MESSAGE(got.defined(), what, ": no value (gradient missing)");
  REQUIRE_MESSAGE(got.shape() == want.shape(), what, ": shape ", shape_str(got.shape()), " vs torch ",
                  shape_str(want.shape()));
  auto g = got.to_vector(), w = want.to_vector();
  double worst = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    double e = std::abs(g[i] - w[i]) / (1 + std::abs(w[i]));
    if (!(e <= worst)) { worst = e; at = i; }
  }
  CHECK_MESSAGE(worst <= tol, what, ": max scaled error ", worst, " at element ", at, " (", g[at], " vs torch ", w[at],
                "); regenerate with /usr/bin/python3 tools/make_fixtures.py");
}

using Fn = std::function<Tensor(const std::vector<Tensor>&, const Fixture&)>;

// Replays a fixture: inputs by name, output, backward with grad_output, and grad_<input> for each input;
// `after(dtype, tol)` checks whatever else the op changed (e.g. running statistics).
void replay(const std::string& name, const std::vector<std::string>& inputs, const Fn& fn,
            const std::function<void(DType, double)>& after = {}) {
  Fixture fx(name);
  for (DType dtype : {DType::f64, DType::f32}) {
    const double tol = dtype == DType::f64 ? 1e-10 : 2e-5;
    std::vector<Tensor> in;
    for (const auto& n : inputs) in.push_back(fx.get(n, dtype).set_requires_grad());
    Tensor out = fn(in, fx);
    check_close(out, fx.get("output"), tol, name + " output (" + dtype_name(dtype) + ")");
    out.backward(fx.get("grad_output", dtype));
    for (std::size_t i = 0; i < inputs.size(); ++i)
      if (fx.has("grad_" + inputs[i]))
        check_close(in[i].grad(), fx.get("grad_" + inputs[i]), tol,
                    name + " grad_" + inputs[i] + " (" + dtype_name(dtype) + ")");
    if (after) after(dtype, tol);
  }
}

Reduction reduction_of(const Fixture& fx) {
  const std::string r = fx.meta("reduction");
  return r == "sum" ? Reduction::sum : r == "none" ? Reduction::none : Reduction::mean;
}

std::vector<std::int64_t> dims_of(const Fixture& fx, const Tensor& x) {
  if (fx.meta("dim") == "all") {
    std::vector<std::int64_t> all;
    for (std::int64_t d = 0; d < x.dim(); ++d) all.push_back(d);
    return all;
  }
  return int_list(fx.meta("dim"));
}

}  // namespace

TEST_CASE("torch parity: linear") {
  for (const char* n : {"linear", "linear_3d"})
    replay(n, {"input", "weight", "bias"}, [](const auto& x, const auto&) { return linear(x[0], x[1], x[2]); });
}

TEST_CASE("torch parity: conv1d and conv_transpose1d") {
  for (const char* n : {"conv1d_k3_s2_p1", "conv1d_dilation2", "conv1d_nobias"}) {
    Fixture fx(n);
    std::vector<std::string> in{"input", "weight"};
    if (fx.flag("bias")) in.push_back("bias");
    replay(n, in, [](const auto& x, const Fixture& f) {
      return conv1d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), (std::int64_t)f.num("stride"),
                    (std::int64_t)f.num("padding"), (std::int64_t)f.num("dilation"));
    });
  }
  for (const char* n : {"conv_transpose1d_k3_s2_p1_op1", "conv_transpose1d_k1_s2_op1", "conv_transpose1d_dilation2"})
    replay(n, {"input", "weight", "bias"}, [](const auto& x, const Fixture& f) {
      return conv_transpose1d(x[0], x[1], x[2], (std::int64_t)f.num("stride"), (std::int64_t)f.num("padding"),
                              (std::int64_t)f.num("output_padding"), (std::int64_t)f.num("dilation"));
    });
}

TEST_CASE("torch parity: batch_norm in training and eval, with running statistics") {
  for (const char* n : {"batchnorm1d_train_3d", "batchnorm1d_train_2d", "batchnorm1d_eval_3d"}) {
    std::map<DType, std::pair<Tensor, Tensor>> running;  // per dtype: (running_mean, running_var)
    replay(
        n, {"input", "weight", "bias"},
        [&](const auto& x, const Fixture& f) {
          const DType dt = x[0].dtype();
          auto& [rm, rv] = running[dt];
          rm = f.get("running_mean", dt);
          rv = f.get("running_var", dt);
          return batch_norm(x[0], rm, rv, x[1], x[2], f.flag("training"), f.num("momentum"), f.num("eps"));
        },
        [&, n](DType dt, double tol) {
          Fixture fx(n);
          check_close(running[dt].first, fx.get("running_mean_after"), tol, std::string(n) + " running_mean");
          check_close(running[dt].second, fx.get("running_var_after"), tol, std::string(n) + " running_var");
        });
  }
}

TEST_CASE("torch parity: activations and element-wise math") {
  replay("gelu", {"input"}, [](const auto& x, const auto&) { return gelu(x[0]); });
  replay("gelu_tanh", {"input"}, [](const auto& x, const auto&) { return gelu(x[0], true); });
  replay("relu", {"input"}, [](const auto& x, const auto&) { return relu(x[0]); });
  for (const char* n : {"elu", "elu_alpha0p5"})
    replay(n, {"input"}, [](const auto& x, const Fixture& f) { return elu(x[0], f.num("alpha")); });
  replay("selu", {"input"}, [](const auto& x, const auto&) { return selu(x[0]); });
  replay("sigmoid", {"input"}, [](const auto& x, const auto&) { return sigmoid(x[0]); });
  replay("tanh", {"input"}, [](const auto& x, const auto&) { return specnet::tanh(x[0]); });
  for (const char* n : {"softplus", "softplus_beta2_threshold3"})
    replay(n, {"input"}, [](const auto& x, const Fixture& f) { return softplus(x[0], f.num("beta"), f.num("threshold")); });
  replay("exp", {"input"}, [](const auto& x, const auto&) { return specnet::exp(x[0]); });
  replay("log", {"input"}, [](const auto& x, const auto&) { return specnet::log(x[0]); });
  replay("sqrt", {"input"}, [](const auto& x, const auto&) { return specnet::sqrt(x[0]); });
  replay("abs", {"input"}, [](const auto& x, const auto&) { return specnet::abs(x[0]); });
  replay("clamp", {"input"}, [](const auto& x, const Fixture& f) { return clamp(x[0], f.num("min"), f.num("max")); });
}

TEST_CASE("torch parity: broadcasting arithmetic") {
  for (const char* n : {"add_broadcast", "add_broadcast_both"})
    replay(n, {"input", "other"}, [](const auto& x, const auto&) { return add(x[0], x[1]); });
  for (const char* n : {"mul_broadcast", "mul_scalar_shape"})
    replay(n, {"input", "other"}, [](const auto& x, const auto&) { return mul(x[0], x[1]); });
  for (const char* n : {"div_broadcast", "div_broadcast_both"})
    replay(n, {"input", "other"}, [](const auto& x, const auto&) { return div(x[0], x[1]); });
}

TEST_CASE("torch parity: reductions and concat") {
  for (const char* n : {"sum_dim1", "sum_dims02_keepdim", "sum_all"})
    replay(n, {"input"}, [](const auto& x, const Fixture& f) {
      return sum(x[0], dims_of(f, x[0]), f.flag("keepdim"));
    });
  for (const char* n : {"mean_dim2", "mean_dims01_keepdim", "mean_all"})
    replay(n, {"input"}, [](const auto& x, const Fixture& f) {
      return mean(x[0], dims_of(f, x[0]), f.flag("keepdim"));
    });
  for (const char* n : {"max_dim1", "max_dim2_keepdim"}) {
    replay(n, {"input"}, [](const auto& x, const Fixture& f) {
      return max(x[0], (std::int64_t)f.num("dim"), f.flag("keepdim"));
    });
    Fixture fx(n);
    check_close(argmax(fx.get("input"), (std::int64_t)fx.num("dim"), fx.flag("keepdim")), fx.get("indices"), 0,
                std::string(n) + " indices");
  }
  replay("concat_dim1", {"input0", "input1", "input2"}, [](const auto& x, const auto&) { return concat(x, 1); });
  replay("concat_dim2", {"input0", "input1"}, [](const auto& x, const auto&) { return concat(x, 2); });
}

TEST_CASE("torch parity: losses") {
  for (const char* n : {"mse_mean", "mse_sum"})
    replay(n, {"input", "target"}, [](const auto& x, const Fixture& f) { return mse_loss(x[0], x[1], reduction_of(f)); });
  for (const char* n : {"l1_mean", "l1_sum"})
    replay(n, {"input", "target"}, [](const auto& x, const Fixture& f) { return l1_loss(x[0], x[1], reduction_of(f)); });
  for (const char* n : {"gaussian_nll", "gaussian_nll_full", "gaussian_nll_var_lastdim1", "gaussian_nll_eps_clamped_sum"})
    replay(n, {"input", "target", "var"}, [](const auto& x, const Fixture& f) {
      return gaussian_nll_loss(x[0], x[1], x[2], f.flag("full"), f.num("eps"), reduction_of(f));
    });
}

TEST_CASE("torch parity: SGD, Adam, AdamW trajectories") {
  for (const char* n : {"sgd_nesterov", "adam", "adam_amsgrad", "adamw"}) {
    Fixture fx(n);
    Tensor p = fx.get("param_step_0").set_requires_grad();
    Tensor curvature = fx.get("curvature"), target = fx.get("target");
    std::unique_ptr<optim::Optimizer> opt;
    const std::string op = fx.meta("op");
    if (op == "torch.optim.SGD") {
      optim::SGDOptions o;
      o.lr = fx.num("lr");
      o.momentum = fx.num("momentum");
      o.dampening = fx.num("dampening");
      o.nesterov = fx.flag("nesterov");
      o.weight_decay = fx.num("weight_decay");
      opt = std::make_unique<optim::SGD>(nn::NamedTensors{{"p", p}}, o);
    } else {
      auto betas = fx.meta("betas");
      optim::AdamWOptions o;
      o.lr = fx.num("lr");
      o.beta1 = std::stod(betas.substr(0, betas.find(',')));
      o.beta2 = std::stod(betas.substr(betas.find(',') + 1));
      o.eps = fx.num("eps");
      o.weight_decay = fx.num("weight_decay");
      o.amsgrad = fx.flag("amsgrad");
      if (op == "torch.optim.AdamW") opt = std::make_unique<optim::AdamW>(nn::NamedTensors{{"p", p}}, o);
      else opt = std::make_unique<optim::Adam>(nn::NamedTensors{{"p", p}}, static_cast<optim::AdamOptions>(o));
    }
    for (int k = 0; k < static_cast<int>(fx.num("steps")); ++k) {
      // sum(0.5 * curvature * (p - target)^2 + 0.025 * p^4)
      Tensor loss = sum(add(mul(mul(curvature, pow(sub(p, target), 2.0)), 0.5), mul(pow(p, 4.0), 0.025)));
      check_close(loss, fx.get("loss_step_" + std::to_string(k)), 1e-12, std::string(n) + " loss");
      opt->zero_grad();
      loss.backward();
      check_close(p.grad(), fx.get("grad_step_" + std::to_string(k)), 1e-12, std::string(n) + " grad");
      opt->step();
      check_close(p, fx.get("param_step_" + std::to_string(k + 1)), 1e-12, std::string(n) + " step " + std::to_string(k + 1));
    }
  }
}

TEST_CASE("torch parity: parameter EMA (AveragedModel with get_ema_multi_avg_fn), both lerp branches") {
  Fixture fx("ema");
  Tensor p = fx.get("param_step_0").set_requires_grad();
  Tensor curvature = fx.get("curvature"), target = fx.get("target");
  optim::AdamW opt(nn::NamedTensors{{"p", p}}, [&] {
    optim::AdamWOptions o;
    o.lr = fx.num("lr");
    return o;
  }());
  optim::ParameterEma slow(nn::NamedTensors{{"p", p}}, 0.75), fast(nn::NamedTensors{{"p", p}}, 0.25);
  for (int k = 1; k <= static_cast<int>(fx.num("steps")); ++k) {
    opt.zero_grad();
    sum(add(mul(mul(curvature, pow(sub(p, target), 2.0)), 0.5), mul(pow(p, 4.0), 0.025))).backward();
    opt.step();
    check_close(p, fx.get("param_step_" + std::to_string(k)), 1e-12, "ema: AdamW step " + std::to_string(k));
    slow.update();
    fast.update();
    // AveragedModel's state_dict names: "module.<name>" and "n_averaged"
    const auto s = slow.state_dict(), f = fast.state_dict();
    REQUIRE(s.size() == 2);
    CHECK(s[1].first == "module.p");
    CHECK(s[0].second.item() == k);
    check_close(s[1].second, fx.get("ema75_step_" + std::to_string(k)), 1e-15, "ema decay 0.75 step " + std::to_string(k));
    check_close(f[1].second, fx.get("ema25_step_" + std::to_string(k)), 1e-15, "ema decay 0.25 step " + std::to_string(k));
  }
}

TEST_CASE("torch parity: ReduceLROnPlateau schedules") {
  for (const char* n : {"plateau_min_rel", "plateau_min_abs_cooldown_minlr", "plateau_max_rel_minlr",
                        "plateau_max_abs_cooldown", "plateau_min_rel_factor0p1"}) {
    Fixture fx(n);
    Tensor p = Tensor::zeros({1}, DType::f64).set_requires_grad();
    optim::SGDOptions so;
    so.lr = fx.num("initial_lr");
    optim::SGD sgd(nn::NamedTensors{{"p", p}}, so);
    optim::PlateauOptions po;
    po.mode = fx.meta("mode") == "max" ? optim::PlateauOptions::Mode::max : optim::PlateauOptions::Mode::min;
    po.threshold_mode = fx.meta("threshold_mode") == "abs" ? optim::PlateauOptions::ThresholdMode::abs
                                                           : optim::PlateauOptions::ThresholdMode::rel;
    po.factor = fx.num("factor");
    po.patience = static_cast<std::int64_t>(fx.num("patience"));
    po.threshold = fx.num("threshold");
    po.cooldown = static_cast<std::int64_t>(fx.num("cooldown"));
    po.min_lr = {fx.num("min_lr")};
    po.eps = fx.num("eps");
    optim::ReduceLROnPlateau sched(sgd, po);
    auto metrics = fx.get("metrics").to_vector(), lrs = fx.get("lr").to_vector();
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      sched.step(metrics[i]);
      CHECK_MESSAGE(sgd.group(0).lr == doctest::Approx(lrs[i]).epsilon(1e-12), n, " step ", i);
    }
  }
}

TEST_CASE("torch parity: whole IC-search CAE forward and backward (reference layer pattern)") {
  Fixture fx("ic_cae_small");
  nn::IcCaeConfig cfg;
  cfg.n_bins = static_cast<std::int64_t>(fx.num("n_bins"));
  cfg.latent = static_cast<std::int64_t>(fx.num("latent"));
  cfg.channels = int_list(fx.meta("channels"));
  cfg.hidden = int_list(fx.meta("hidden"));
  Rng rng(0);
  nn::IcCae net(cfg, rng);
  CHECK(net.num_parameters() == static_cast<std::int64_t>(fx.num("parameters")));
  CHECK(net.encoder().num_parameters() == static_cast<std::int64_t>(fx.num("encoder_parameters")));
  net.to(DType::f64);
  nn::NamedTensors state;
  for (const auto& [key, value] : net.state_dict()) state.push_back({key, fx.get(key)});
  nn::LoadReport report = net.load_state_dict(state, true);
  CHECK(report.ok());
  CHECK(state.size() + 0 == net.state_dict().size());

  Tensor x = fx.get("input"), label = fx.get("label");
  nn::IcCae::Output out = net.run(x);
  Tensor loss = nn::ic_cae_loss(out, x, label, fx.num("loss_weight"));
  check_close(out.reconstruction, fx.get("output"), 1e-9, "CAE output");
  check_close(out.latent, fx.get("latent"), 1e-9, "CAE latent");
  check_close(loss, fx.get("loss"), 1e-9, "CAE loss");
  loss.backward();
  int grads = 0;
  for (const auto& [key, p] : net.named_parameters()) {
    check_close(p.grad(), fx.get("grad." + key), 1e-8, "grad." + key);
    ++grads;
  }
  CHECK(grads == static_cast<int>(net.named_parameters().size()));
  for (const auto& [key, b] : net.named_buffers())
    if (fx.has("after." + key)) check_close(b, fx.get("after." + key), 1e-9, "after." + key);
  net.eval();
  NoGradGuard ng;
  nn::IcCae::Output ev = net.run(x);
  check_close(ev.reconstruction, fx.get("output_eval"), 1e-9, "CAE eval output");
  check_close(ev.latent, fx.get("latent_eval"), 1e-9, "CAE eval latent");
}
