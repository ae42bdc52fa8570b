// conv_transpose1d: sweep registrations (stride, padding, output_padding, dilation, kernel size, bias), hand-computed
// values, the adjoint identity <conv(x), y> = <x, conv_transpose(y)>, a naive-loop reference, argument errors.
#include "conv_reference.h"
#include "harness.h"
#include "specnet/ops/conv.h"

using namespace specnet;
using specnet::test::max_rel_diff;

SPECNET_OP_CASE({"conv_transpose1d_k3_s1_p0_bias", {{2, 3, 6}, {3, 4, 3}, {4}},
                 [](const auto& x) { return conv_transpose1d(x[0], x[1], x[2]); }, 2.0 * 2 * 3 * 4 * 3 * 6});
SPECNET_OP_CASE({"conv_transpose1d_k3_s2_p1_op1_bias", {{2, 3, 5}, {3, 4, 3}, {4}},
                 [](const auto& x) { return conv_transpose1d(x[0], x[1], x[2], 2, 1, 1); },
                 2.0 * 2 * 3 * 4 * 3 * 5});
// output_padding 1 >= stride 1 is allowed because it is below dilation 2 (torch's rule).
SPECNET_OP_CASE({"conv_transpose1d_k3_p2_op1_d2_nobias", {{2, 2, 6}, {2, 3, 3}},
                 [](const auto& x) { return conv_transpose1d(x[0], x[1], Tensor(), 1, 2, 1, 2); },
                 2.0 * 2 * 2 * 3 * 3 * 6});
SPECNET_OP_CASE({"conv_transpose1d_k1_s2_op1_bias", {{2, 3, 5}, {3, 4, 1}, {4}},
                 [](const auto& x) { return conv_transpose1d(x[0], x[1], x[2], 2, 0, 1); }, 2.0 * 2 * 3 * 4 * 5});
SPECNET_OP_CASE({"conv_transpose1d_gemm_path_s2_p1_op1", {{3, 10, 6}, {10, 12, 3}, {12}},
                 [](const auto& x) { return conv_transpose1d(x[0], x[1], x[2], 2, 1, 1); },
                 2.0 * 3 * 10 * 12 * 3 * 6});
SPECNET_OP_CASE({"conv_transpose1d_multichunk_p1", {{3, 2, 300}, {2, 3, 3}, {3}},
                 [](const auto& x) { return conv_transpose1d(x[0], x[1], x[2], 1, 1); }, 2.0 * 3 * 2 * 3 * 3 * 300});

TEST_CASE("conv_transpose1d matches hand-computed values") {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2}, {1, 1, 2}, DType::f64);
  Tensor w = Tensor::from_vector(std::vector<double>{1, 10, 100}, {1, 1, 3}, DType::f64);
  // out[2 l + k] += x[l] w[k]
  CHECK(conv_transpose1d(x, w, Tensor(), 2).to_vector() == std::vector<double>{1, 10, 102, 20, 200});
  // padding 1 drops position -1; output_padding 1 keeps the last position (M = 4 instead of 3).
  Tensor b = Tensor::from_vector(std::vector<double>{0.5}, {1}, DType::f64);
  Tensor y = conv_transpose1d(x, w, b, 2, 1, 1);
  CHECK(y.shape() == Shape{1, 1, 4});
  CHECK(y.to_vector() == std::vector<double>{10.5, 102.5, 20.5, 200.5});
  // output_padding positions that no tap reaches hold the bias alone.
  Tensor z = conv_transpose1d(x, Tensor::from_vector(std::vector<double>{3}, {1, 1, 1}, DType::f64), b, 2, 0, 1);
  CHECK(z.to_vector() == std::vector<double>{3.5, 0.5, 6.5, 0.5});
}

TEST_CASE("conv_transpose1d is the adjoint of conv1d with the same weights") {
  struct Cfg {
    std::int64_t B, C, L, O, K, stride, pad, dil;
  };
  for (Cfg g : {Cfg{3, 4, 18, 5, 3, 2, 1, 1}, Cfg{2, 12, 40, 10, 3, 1, 2, 2}, Cfg{4, 3, 30, 6, 1, 2, 0, 1},
                Cfg{2, 2, 23, 3, 4, 3, 1, 2}}) {
    CAPTURE(g.L);
    Tensor x = test::random_input({g.B, g.C, g.L}, 11), w = test::random_input({g.O, g.C, g.K}, 12);
    Tensor cx = conv1d(x, w, Tensor(), g.stride, g.pad, g.dil);  // (B, O, M)
    const std::int64_t M = cx.size(2);
    // output_padding restores the input length that the strided conv rounded away.
    const std::int64_t opad = (g.L + 2 * g.pad - g.dil * (g.K - 1) - 1) % g.stride;
    Tensor y = test::random_input({g.B, g.O, M}, 13);
    Tensor ty = conv_transpose1d(y, w, Tensor(), g.stride, g.pad, opad, g.dil);  // (B, C, L)
    REQUIRE(ty.shape() == x.shape());
    double lhs = 0, rhs = 0;
    auto cv = cx.to_vector(), yv = y.to_vector(), xv = x.to_vector(), tv = ty.to_vector();
    for (std::size_t i = 0; i < cv.size(); ++i) lhs += cv[i] * yv[i];
    for (std::size_t i = 0; i < xv.size(); ++i) rhs += xv[i] * tv[i];
    CHECK(std::abs(lhs - rhs) <= 1e-10 * std::max(1.0, std::abs(lhs)));
  }
}

TEST_CASE("conv_transpose1d agrees with a naive loop on decoder-like shapes") {
  Tensor x = test::random_input({6, 16, 40}, 21), w = test::random_input({16, 12, 3}, 22);
  Tensor y = conv_transpose1d(x, w, Tensor(), 2, 1, 1);
  REQUIRE(y.shape() == Shape{6, 12, 80});
  auto ref = test::conv_transpose1d_reference(x, w, 2, 1, 1, 80);
  CHECK(max_rel_diff(y.to_vector(), ref) < 1e-12);
  // float32 takes the vectorised stride-2 scatter.
  CHECK(max_rel_diff(conv_transpose1d(x.to(DType::f32), w.to(DType::f32), Tensor(), 2, 1, 1).to_vector(), ref) < 1e-5);
  Tensor w1 = test::random_input({16, 4, 1}, 23);
  Tensor y1 = conv_transpose1d(x.to(DType::f32), w1.to(DType::f32), Tensor(), 2, 0, 1);
  CHECK(max_rel_diff(y1.to_vector(), test::conv_transpose1d_reference(x, w1, 2, 0, 1, 80)) < 1e-5);
}

TEST_CASE("conv_transpose1d rejects bad arguments with clear messages") {
  Tensor x = Tensor::zeros({2, 3, 10}), w = Tensor::zeros({3, 4, 3});
  CHECK_THROWS_WITH(conv_transpose1d(x, w, Tensor(), 2, 1, 2), doctest::Contains("output_padding must be smaller"));
  CHECK_THROWS_WITH(conv_transpose1d(x, w, Tensor(), 1, 0, 1), doctest::Contains("output_padding must be smaller"));
  CHECK_THROWS_WITH(conv_transpose1d(x, w, Tensor(), 2, 0, -1), doctest::Contains("negative output_padding"));
  CHECK_THROWS_WITH(conv_transpose1d(x, w, Tensor(), 1, -1), doctest::Contains("negative padding"));
  CHECK_THROWS_WITH(conv_transpose1d(Tensor::zeros({2, 4, 10}), w), doctest::Contains("has 4 channels but weight"));
  CHECK_THROWS_WITH(conv_transpose1d(Tensor::zeros({2, 3, 1}), w, Tensor(), 1, 2),
                    doctest::Contains("output length"));
  CHECK_THROWS_WITH(conv_transpose1d(x, w, Tensor::zeros({3})), doctest::Contains("bias shape"));
  CHECK_THROWS_WITH(conv_transpose1d(x.to(DType::f64), w), doctest::Contains("dtype mismatch"));
}
