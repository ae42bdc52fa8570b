// Tensor core: creation, views (reshape/slice/transpose) sharing storage, casts, bad-input errors.
#include "harness.h"
#include "specnet/ops/linear.h"
#include "specnet/cuda/runtime.h"
#include "../src/core/allocator.h"  // cache statistics (private to the library)

using namespace specnet;

TEST_CASE("tensor creation and metadata") {
  Tensor t = Tensor::zeros({2, 3, 4});
  CHECK(t.dim() == 3);
  CHECK(t.numel() == 24);
  CHECK(t.size(-1) == 4);
  CHECK(t.strides() == Shape{12, 4, 1});
  CHECK(t.is_contiguous());
  CHECK(Tensor::full({2}, 3.5, DType::f64).to_vector() == std::vector<double>{3.5, 3.5});
  CHECK(Tensor::scalar(2.0).item() == 2.0);
  CHECK(Tensor::arange(4).to_vector() == std::vector<double>{0, 1, 2, 3});
  CHECK(t.describe() == "float32 (2, 3, 4) cpu");
}

TEST_CASE("a shape whose byte count would wrap around is refused, not allocated as 0 bytes") {
  // 2^31 x 2^31 float32 = 2^64 bytes, which wraps to 0 in 64 bits.
  const std::int64_t big = std::int64_t(1) << 31;
  CHECK_THROWS_WITH_AS(Tensor::zeros({big, big}), doctest::Contains("refusing to allocate"), Error);
  CHECK_THROWS_WITH_AS(Tensor::empty({big, big}, DType::f64), doctest::Contains("refusing to allocate"), Error);
}

TEST_CASE("views share storage and have the right strides") {
  Tensor a = Tensor::arange(12, DType::f64).reshape({3, 4});
  Tensor tr = a.transpose(0, 1);
  CHECK(tr.shape() == Shape{4, 3});
  CHECK(!tr.is_contiguous());
  CHECK(tr.at({1, 2}) == a.at({2, 1}));
  Tensor s = a.slice(1, 1, 3);
  CHECK(s.shape() == Shape{3, 2});
  CHECK(s.to_vector() == std::vector<double>{1, 2, 5, 6, 9, 10});
  Tensor c = tr.contiguous();
  CHECK(c.is_contiguous());
  CHECK(c.to_vector() == std::vector<double>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11});
  {
    NoGradGuard ng;
    s.fill_(-1);
  }
  CHECK(a.at({0, 1}) == -1);  // the slice wrote through to the base
  CHECK(a.at({0, 0}) == 0);
  CHECK(a.reshape({-1}).shape() == Shape{12});
  CHECK(a.unsqueeze(0).shape() == Shape{1, 3, 4});
  CHECK(a.unsqueeze(0).squeeze(0).shape() == Shape{3, 4});
  CHECK(a.flatten(0).shape() == Shape{12});
}

TEST_CASE("copy_ writes through a non-contiguous view with dtype conversion") {
  Tensor a = Tensor::zeros({2, 3}, DType::f64);
  {
    NoGradGuard ng;
    a.transpose(0, 1).copy_(Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {3, 2}));
  }
  CHECK(a.to_vector() == std::vector<double>{1, 3, 5, 2, 4, 6});
}

TEST_CASE("casts round trip and are differentiable") {
  Tensor x = Tensor::from_vector(std::vector<double>{1.5, -2.25}, {2}, DType::f64).set_requires_grad();
  Tensor y = x.to(DType::f32);
  CHECK(y.dtype() == DType::f32);
  y.backward(Tensor::ones({2}));
  CHECK(x.grad().to_vector() == std::vector<double>{1, 1});
}

TEST_CASE("views are differentiable") {
  using test::gradcheck;
  CHECK(gradcheck([](const auto& x) { return x[0].transpose(0, 1).contiguous(); }, {test::random_input({3, 4}, 1)}) < 1e-6);
  CHECK(gradcheck([](const auto& x) { return x[0].slice(1, 1, 3); }, {test::random_input({3, 4}, 2)}) < 1e-6);
  CHECK(gradcheck([](const auto& x) { return x[0].transpose(0, 1).reshape({2, 6}); }, {test::random_input({3, 4}, 3)}) < 1e-6);
  CHECK(gradcheck([](const auto& x) { return x[0].slice(0, 1, 3).transpose(0, 1).slice(0, 0, 2); },
                  {test::random_input({3, 4}, 4)}) < 1e-6);
}

TEST_CASE("bad tensor input gives clear errors") {
  Tensor t = Tensor::zeros({2, 3});
  CHECK_THROWS_WITH(t.reshape({4, 2}), doctest::Contains("cannot reshape"));
  CHECK_THROWS_WITH(t.reshape({-1, -1}), doctest::Contains("only one dimension"));
  CHECK_THROWS_WITH(t.size(2), doctest::Contains("out of range"));
  CHECK_THROWS_WITH(t.slice(1, 2, 5), doctest::Contains("out of bounds"));
  CHECK_THROWS_WITH(t.data<double>(), doctest::Contains("data<float64>"));
  CHECK_THROWS_WITH(t.transpose(0, 1).data<float>(), doctest::Contains("non-contiguous"));
  CHECK_THROWS_WITH(t.item(), doctest::Contains("single-element"));
  CHECK_THROWS_WITH(Tensor::from_vector(std::vector<double>{1, 2, 3}, {2, 2}), doctest::Contains("do not fill"));
  CHECK_THROWS_WITH(Tensor::zeros({1 << 20, 1 << 20, 1 << 10}), doctest::Contains("refusing to allocate"));
  CHECK_THROWS_WITH(Tensor::zeros({-1}), doctest::Contains("negative dimension"));
  CHECK_THROWS_WITH(Tensor().numel(), doctest::Contains("undefined"));
  if (!cuda::cuda_available())  // without a GPU (or without CUDA) the error names why
    CHECK_THROWS_WITH(t.to(Device::cuda), doctest::Contains("device cuda is not available"));
  CHECK_THROWS_WITH(t.copy_(Tensor::zeros({3, 2})), doctest::Contains("source shape"));
}

TEST_CASE("allocator: freed CPU blocks are cached and handed out again") {
  detail::cpu_cache_clear();
  CHECK(detail::cpu_cache_bytes() == 0);
  void* first = nullptr;
  {
    Tensor a = Tensor::empty({1000, 333});
    first = a.raw_data();
  }
  CHECK(detail::cpu_cache_bytes() >= 1000 * 333 * 4);
  Tensor b = Tensor::empty({333, 1000});  // same size class: the cached block comes back
  CHECK(b.raw_data() == first);
  CHECK(detail::cpu_cache_bytes() == 0);
}
