// conv1d: sweep registrations (stride, padding, dilation, kernel size, bias, chunked and Eigen paths), hand-computed
// values, a naive-loop reference on larger shapes, and torch-style argument errors.
#include "conv_reference.h"
#include "harness.h"
#include "specnet/ops/conv.h"

using namespace specnet;
using specnet::test::conv1d_reference;
using specnet::test::max_rel_diff;

SPECNET_OP_CASE({"conv1d_k3_s1_p0_bias", {{2, 3, 9}, {4, 3, 3}, {4}},
                 [](const auto& x) { return conv1d(x[0], x[1], x[2]); }, 2.0 * 2 * 4 * 3 * 3 * 7});
SPECNET_OP_CASE({"conv1d_k3_s2_p1_nobias", {{2, 3, 10}, {4, 3, 3}},
                 [](const auto& x) { return conv1d(x[0], x[1], Tensor(), 2, 1); }, 2.0 * 2 * 4 * 3 * 3 * 5});
SPECNET_OP_CASE({"conv1d_k3_p2_d2_bias", {{2, 2, 8}, {3, 2, 3}, {3}},
                 [](const auto& x) { return conv1d(x[0], x[1], x[2], 1, 2, 2); }, 2.0 * 2 * 3 * 2 * 3 * 8});
SPECNET_OP_CASE({"conv1d_k1_s2_bias", {{2, 3, 7}, {5, 3, 1}, {5}},
                 [](const auto& x) { return conv1d(x[0], x[1], x[2], 2); }, 2.0 * 2 * 5 * 3 * 4});
// O = 10 and C K = 12 take the Eigen GEMM path; 3 samples share one chunk (gathered rows).
SPECNET_OP_CASE({"conv1d_gemm_path_s2_p1_d2", {{3, 4, 9}, {10, 4, 3}, {10}},
                 [](const auto& x) { return conv1d(x[0], x[1], x[2], 2, 1, 2); }, 2.0 * 3 * 10 * 12 * 4});
// M = 300: two samples per chunk, so B = 3 spans two chunks (partial weight sums added in chunk order).
SPECNET_OP_CASE({"conv1d_multichunk_p1", {{3, 2, 300}, {3, 2, 3}, {3}},
                 [](const auto& x) { return conv1d(x[0], x[1], x[2], 1, 1); }, 2.0 * 3 * 3 * 6 * 300});
SPECNET_OP_CASE({"conv1d_unbatched", {{3, 9}, {4, 3, 3}, {4}},
                 [](const auto& x) { return conv1d(x[0], x[1], x[2], 1, 1); }, 2.0 * 4 * 9 * 9});

TEST_CASE("conv1d matches hand-computed values") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5}, {1, 1, 5}, DType::f64);
  Tensor w = Tensor::from_vector(std::vector<double>{1, 0, -1}, {1, 1, 3}, DType::f64);
  Tensor b = Tensor::from_vector(std::vector<double>{0.5}, {1}, DType::f64);
  // out[m] = x[m - 1] - x[m + 1] + 0.5 with zero padding
  CHECK(conv1d(x, w, b, 1, 1).to_vector() == std::vector<double>{-1.5, -1.5, -1.5, -1.5, 4.5});
  // stride 2, dilation 2: out[m] = x[2m] + 2 x[2m + 2] + 3 x[2m + 4]
  Tensor x7 = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7}, {1, 1, 7}, DType::f64);
  Tensor w123 = Tensor::from_vector(std::vector<double>{1, 2, 3}, {1, 1, 3}, DType::f64);
  Tensor y = conv1d(x7, w123, Tensor(), 2, 0, 2);
  CHECK(y.shape() == Shape{1, 1, 2});
  CHECK(y.to_vector() == std::vector<double>{22, 34});
}

TEST_CASE("conv1d agrees with a naive loop on chunked and GEMM-sized shapes") {
  struct Cfg {
    std::int64_t B, C, L, O, K, stride, pad, dil;
  };
  for (Cfg g : {Cfg{5, 6, 150, 10, 3, 2, 1, 2}, Cfg{40, 3, 20, 16, 3, 1, 1, 1}, Cfg{7, 16, 600, 12, 1, 2, 0, 1},
                Cfg{9, 2, 64, 4, 5, 3, 2, 1}}) {
    CAPTURE(g.B);
    CAPTURE(g.L);
    Tensor x = test::random_input({g.B, g.C, g.L}, 1), w = test::random_input({g.O, g.C, g.K}, 2);
    Tensor b = test::random_input({g.O}, 3);
    const std::int64_t M = (g.L + 2 * g.pad - g.dil * (g.K - 1) - 1) / g.stride + 1;
    auto ref = conv1d_reference(x, w, b.to_vector(), g.stride, g.pad, g.dil, M);
    Tensor y = conv1d(x, w, b, g.stride, g.pad, g.dil);
    REQUIRE(y.shape() == Shape{g.B, g.O, M});
    CHECK(max_rel_diff(y.to_vector(), ref) < 1e-12);
    Tensor y32 = conv1d(x.to(DType::f32), w.to(DType::f32), b.to(DType::f32), g.stride, g.pad, g.dil);
    CHECK(max_rel_diff(y32.to_vector(), ref) < 1e-5);
  }
}

TEST_CASE("conv1d weight gradient matches the sum over samples of naive products") {
  // dw[o, c, k] = sum_{b, m} dout[b, o, m] x[b, c, m stride + k dil - pad]: with dout = 1 at one (o, m) per
  // sample this picks single input values, checked against the reference conv with a one-hot weight.
  const std::int64_t B = 12, C = 3, L = 50, O = 9, K = 3, stride = 2, pad = 1, dil = 1;
  Tensor x = test::random_input({B, C, L}, 4), w = test::random_input({O, C, K}, 5).set_requires_grad(true);
  Tensor dout = test::random_input({B, O, 25}, 6);
  conv1d(x, w, Tensor(), stride, pad, dil).backward(dout);
  auto xv = x.to_vector(), gv = dout.to_vector(), dw = w.grad().to_vector();
  double err = 0;
  for (std::int64_t o = 0; o < O; ++o)
    for (std::int64_t c = 0; c < C; ++c)
      for (std::int64_t k = 0; k < K; ++k) {
        double s = 0;
        for (std::int64_t bi = 0; bi < B; ++bi)
          for (std::int64_t m = 0; m < 25; ++m) {
            std::int64_t l = m * stride + k * dil - pad;
            if (l >= 0 && l < L) s += gv[(bi * O + o) * 25 + m] * xv[(bi * C + c) * L + l];
          }
        err = std::max(err, std::abs(s - dw[(o * C + c) * K + k]));
      }
  CHECK(err < 1e-10);
}

TEST_CASE("conv1d rejects bad arguments with clear messages") {
  Tensor x = Tensor::zeros({2, 3, 10}), w = Tensor::zeros({4, 3, 3});
  CHECK_THROWS_WITH(conv1d(x, w, Tensor(), 1, -1), doctest::Contains("negative padding"));
  CHECK_THROWS_WITH(conv1d(x, w, Tensor(), 0), doctest::Contains("stride must be >= 1"));
  CHECK_THROWS_WITH(conv1d(x, w, Tensor(), 1, 0, 0), doctest::Contains("dilation must be >= 1"));
  CHECK_THROWS_WITH(conv1d(Tensor::zeros({2, 5, 10}), w), doctest::Contains("has 5 channels but weight"));
  CHECK_THROWS_WITH(conv1d(Tensor::zeros({2, 3, 2}), w), doctest::Contains("shorter than the dilated kernel"));
  CHECK_THROWS_WITH(conv1d(x, w, Tensor(), 1, 0, 5), doctest::Contains("shorter than the dilated kernel"));
  CHECK_THROWS_WITH(conv1d(x, w, Tensor::zeros({3})), doctest::Contains("bias shape"));
  CHECK_THROWS_WITH(conv1d(x, Tensor::zeros({4, 3, 3}, DType::f64)), doctest::Contains("dtype mismatch"));
  CHECK_THROWS_WITH(conv1d(Tensor::zeros({2, 3, 4, 10}), w), doctest::Contains("input (B, C, L)"));
  CHECK_THROWS_WITH(conv1d(x, Tensor::zeros({4, 3})), doctest::Contains("weight"));
  CHECK_THROWS_WITH(conv1d(x, Tensor::zeros({4, 3, 0})), doctest::Contains("empty dimension"));
}
