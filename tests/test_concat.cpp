// concat: registered for the sweep along the first, middle and last dims, plus values against slices
// of the result (including a concatenation larger than one work block) and the error messages.
#include "harness.h"
#include "specnet/ops/concat.h"

using namespace specnet;

SPECNET_OP_CASE({"concat_dim0", {{2, 3}, {4, 3}}, [](const auto& x) { return concat({x[0], x[1]}, 0); }, 0});
SPECNET_OP_CASE({"concat_dim1",
                 {{2, 3, 4}, {2, 1, 4}, {2, 2, 4}},
                 [](const auto& x) {
                   return concat({x[0], x[1], x[2]}, 1);
                 },
                 0});
SPECNET_OP_CASE({"concat_last", {{3, 2}, {3, 5}}, [](const auto& x) { return concat({x[0], x[1]}, -1); }, 0});
SPECNET_OP_CASE({"concat_repeat", {{2, 3}}, [](const auto& x) { return concat({x[0], x[0]}, 1); }, 0});

TEST_CASE("concat places every input at its slice") {
  for (std::int64_t dim : {0, 1, 2}) {
    CAPTURE(dim);
    Shape sa{3, 40, 300}, sb = sa;
    sb[dim] = dim == 2 ? 200 : 2;  // dim 2: rows of 500 columns; whole rows > one 16384 block for dim 0
    Tensor a = test::random_input(sa, 1), b = test::random_input(sb, 2);
    Tensor c = concat({a, b}, dim);
    CHECK(c.size(dim) == sa[dim] + sb[dim]);
    CHECK(c.slice(dim, 0, sa[dim]).to_vector() == a.to_vector());
    CHECK(c.slice(dim, sa[dim], sa[dim] + sb[dim]).to_vector() == b.to_vector());
  }
  // non-contiguous input (a transposed view) is read in its logical order
  Tensor t = test::random_input({4, 3}, 5).transpose(0, 1);
  CHECK(concat({t}, 0).to_vector() == t.to_vector());
}

TEST_CASE("concat rejects incompatible inputs") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({2, 4});
  CHECK(concat({a, b}, 1).shape() == Shape{2, 7});
  CHECK_THROWS_WITH(concat({a, b}, 0), doctest::Contains("tensor 1 has shape (2, 4) but tensor 0 has (2, 3)"));
  CHECK_THROWS_WITH(concat({a, Tensor::zeros({2})}, 0), doctest::Contains("concat: tensor 1 has shape (2,)"));
  CHECK_THROWS_WITH(concat({a, Tensor::zeros({2, 3}, DType::f64)}, 0), doctest::Contains("concat: dtype mismatch"));
  CHECK_THROWS_WITH(concat({a, b}, 2), doctest::Contains("concat: dim 2 out of range"));
  CHECK_THROWS_WITH(concat({}, 0), doctest::Contains("at least one tensor"));
  CHECK_THROWS_WITH(concat({Tensor::scalar(1.0)}, 0), doctest::Contains("zero-dimensional"));
}
