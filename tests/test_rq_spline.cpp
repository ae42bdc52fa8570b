// rq_spline: sweep registration (forward and inverse), round trip inverse(forward(x)) = x in float32 incl. the
// tails, log|det| against a numerical derivative, nflows parity fixtures (tools/make_flow_fixtures.py), bad input.
#include <cmath>

#include "harness.h"
#include "specnet/io/safetensors.h"
#include "specnet/ops/arith.h"
#include "specnet/ops/concat.h"
#include "specnet/ops/spline.h"
#include "specnet/rng.h"

using namespace specnet;

namespace {

cpu::RqSplineConfig config(double bound, bool inverse) {
  cpu::RqSplineConfig c;
  c.tail_bound = bound;
  c.inverse = inverse;
  return c;
}

// Both outputs in one tensor so that the sweep checks the gradients of each.
Tensor spline_packed(const std::vector<Tensor>& x, bool inverse) {
  SplineResult r = rq_spline(x[0], x[1], x[2], x[3], config(1.5, inverse));
  return concat({r.outputs, r.logabsdet}, 0);
}

}  // namespace

SPECNET_OP_CASE({"rq_spline", {{6, 3}, {6, 3, 4}, {6, 3, 4}, {6, 3, 3}},
                 [](const auto& x) { return spline_packed(x, false); }, 18.0 * 60});
SPECNET_OP_CASE({"rq_spline_inverse", {{6, 3}, {6, 3, 4}, {6, 3, 4}, {6, 3, 3}},
                 [](const auto& x) { return spline_packed(x, true); }, 18.0 * 70});

TEST_CASE("rq_spline: gradients with sharp bins and steep slopes (float64 finite differences)") {
  for (bool inverse : {false, true}) {
    std::vector<Tensor> in{test::random_input({40}, 11), test::random_input({40, 8}, 12),
                           test::random_input({40, 8}, 13), test::random_input({40, 7}, 14)};
    for (int i = 1; i < 4; ++i) in[i] = (in[i] * 3.0).detach();
    in[0] = (in[0] * 2.0).detach();
    double err = test::gradcheck(
        [inverse](const auto& x) {
          SplineResult r = rq_spline(x[0], x[1], x[2], x[3], config(2.5, inverse));
          return concat({r.outputs, r.logabsdet}, 0);
        },
        in, 1e-6, 1e-5);
    CHECK(err < 1e-5);
  }
}

// Round trip in float32 over [-7, 7] (tails beyond the bound 5, the bound itself, points just inside it).
// With moderate parameters the error must stay below 1e-5. Steep parameters make bins with slopes near
// min_derivative, where y itself carries a float32 rounding of ulp(y) that the inverse multiplies by 1/slope:
// there the error is bounded by that conditioning (a few ulp of y over the local slope).
TEST_CASE("rq_spline: inverse(forward(x)) == x in float32, tails included, log-dets cancel") {
  const std::int64_t n = 4000, K = 8;
  for (double spread : {0.5, 2.0}) {
    Rng rng(7);
    Tensor x = Tensor::rand({n}, rng, -7.0, 7.0);
    float* xp = x.data<float>();
    xp[0] = -5.0f, xp[1] = 5.0f, xp[2] = std::nextafter(5.0f, 0.0f), xp[3] = std::nextafter(-5.0f, 0.0f), xp[4] = 0;
    Tensor w = Tensor::randn({n, K}, rng) * spread, h = Tensor::randn({n, K}, rng) * spread,
           d = Tensor::randn({n, K - 1}, rng) * spread;
    SplineResult f = rq_spline(x, w, h, d, config(5, false));
    SplineResult b = rq_spline(f.outputs, w, h, d, config(5, true));
    auto xv = x.to_vector(), yv = f.outputs.to_vector(), back = b.outputs.to_vector(), lf = f.logabsdet.to_vector(),
         lb = b.logabsdet.to_vector();
    double worst = 0, worst_ratio = 0, worst_ld = 0;
    int tails = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      const double err = std::abs(back[i] - xv[i]);
      worst = std::max(worst, err);
      worst_ratio = std::max(worst_ratio, err / (1e-5 + 4 * 6e-8 * std::abs(yv[i]) / std::exp(lf[i])));
      worst_ld = std::max(worst_ld, std::abs(lf[i] + lb[i]));
      if (std::abs(xv[i]) > 5) {
        ++tails;
        CHECK(yv[i] == xv[i]);
        CHECK(lf[i] == 0);
      } else {
        CHECK(std::abs(yv[i]) <= 5);
      }
    }
    CHECK(tails > n / 5);
    MESSAGE("spread ", spread, ": round trip max |x - x'| = ", worst, " (", worst_ratio,
            " of the conditioning bound), max |ld_f + ld_i| = ", worst_ld);
    CHECK(worst_ratio <= 1);
    if (spread < 1) {
      CHECK(worst < 1e-5);
      CHECK(worst_ld < 1e-5);
    }
  }
}

TEST_CASE("rq_spline: log|det| matches the numerical derivative of the output") {
  const std::int64_t n = 300, K = 8;
  for (bool inverse : {false, true}) {
    Tensor x = test::random_input({n}, 21) * 3.0;
    Tensor w = test::random_input({n, K}, 22), h = test::random_input({n, K}, 23),
           d = test::random_input({n, K - 1}, 24);
    const double eps = 1e-6;
    SplineResult c = rq_spline(x, w, h, d, config(4, inverse));
    SplineResult p = rq_spline(x + eps, w, h, d, config(4, inverse));
    SplineResult m = rq_spline(x - eps, w, h, d, config(4, inverse));
    auto ld = c.logabsdet.to_vector(), yp = p.outputs.to_vector(), ym = m.outputs.to_vector();
    double worst = 0;
    for (std::int64_t i = 0; i < n; ++i)
      worst = std::max(worst, std::abs(std::log((yp[i] - ym[i]) / (2 * eps)) - ld[i]));
    CAPTURE(inverse);
    CHECK(worst < 1e-6);
  }
}

TEST_CASE("torch parity: nflows unconstrained_rational_quadratic_spline (forward, inverse, K=3)") {
  for (const char* name : {"rq_spline_forward", "rq_spline_inverse", "rq_spline_k3_b1"}) {
    SafeTensors st = load_safetensors(test::fixture_path(std::string("flows/") + name + ".safetensors"));
    cpu::RqSplineConfig cfg;
    cfg.tail_bound = std::stod(st.metadata.at("tail_bound"));
    cfg.inverse = st.metadata.at("inverse") == "True";
    for (DType dt : {DType::f64, DType::f32}) {
      const double tol = dt == DType::f64 ? 1e-10 : 5e-5;
      auto get = [&](const char* k) { return st.get(k).to(dt).clone().detach(); };
      std::vector<Tensor> in{get("input"), get("widths"), get("heights"), get("derivatives")};
      for (auto& t : in) t.set_requires_grad();
      SplineResult r = rq_spline(in[0], in[1], in[2], in[3], cfg);
      concat({r.outputs, r.logabsdet}, 0).backward(concat({get("grad_output"), get("grad_logabsdet")}, 0));
      auto check = [&](const Tensor& got, const char* key) {
        auto g = got.to_vector(), want = st.get(key).to_vector();
        REQUIRE(g.size() == want.size());
        double worst = 0;
        for (std::size_t i = 0; i < g.size(); ++i)
          worst = std::max(worst, std::abs(g[i] - want[i]) / (1 + std::abs(want[i])));
        CHECK_MESSAGE(worst <= tol, std::string(name), " ", std::string(key), " (", dtype_name(dt),
                      "): max scaled error ", worst,
                      "; regenerate with /usr/bin/python3 tools/make_flow_fixtures.py");
      };
      check(r.outputs, "output");
      check(r.logabsdet, "logabsdet");
      check(in[0].grad(), "grad_input");
      check(in[1].grad(), "grad_widths");
      check(in[2].grad(), "grad_heights");
      check(in[3].grad(), "grad_derivatives");
    }
  }
}

TEST_CASE("rq_spline rejects bad shapes, values and settings") {
  Tensor x = Tensor::zeros({4, 2}), w = Tensor::zeros({4, 2, 5}), d = Tensor::zeros({4, 2, 4});
  CHECK_THROWS_WITH(rq_spline(x, w, Tensor::zeros({4, 2, 4}), d), doctest::Contains("heights shape"));
  CHECK_THROWS_WITH(rq_spline(x, w, w, Tensor::zeros({4, 2, 5})), doctest::Contains("derivatives shape"));
  CHECK_THROWS_WITH(rq_spline(x, Tensor::zeros({4, 2, 1}), Tensor::zeros({4, 2, 1}), Tensor::zeros({4, 2, 0})),
                    doctest::Contains("at least 2 bins"));
  Tensor bad = Tensor::zeros({4, 2});
  bad.data<float>()[3] = std::nanf("");
  CHECK_THROWS_WITH(rq_spline(bad, w, w, d), doctest::Contains("non-finite value in the input"));
  Tensor bad_w = Tensor::zeros({4, 2, 5});
  bad_w.data<float>()[7] = INFINITY;
  CHECK_THROWS_WITH(rq_spline(x, w, bad_w, d), doctest::Contains("non-finite value in heights"));
  CHECK_THROWS_WITH(rq_spline(x, w.to(DType::f64), w, d), doctest::Contains("dtype mismatch"));
  cpu::RqSplineConfig cfg;
  cfg.min_bin_width = 0.25;
  CHECK_THROWS_WITH(rq_spline(x, w, w, d, cfg), doctest::Contains("min_bin_width"));
  cfg = {};
  cfg.tail_bound = -1;
  CHECK_THROWS_WITH(rq_spline(x, w, w, d, cfg), doctest::Contains("tail_bound"));
}
