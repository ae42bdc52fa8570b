// Test helper: an op's values and input gradients on inputs large enough for several 16384-element
// chunks, computed with a given thread count, so tests can require bitwise-identical results.
#pragma once
#include <functional>
#include <vector>

#include "harness.h"
#include "specnet/context.h"

namespace specnet::test {

// Values of f and the gradients of its (positive, float32) inputs, with `threads` threads.
inline std::vector<double> run_threads(int threads, const std::vector<Shape>& shapes,
                                       const std::function<Tensor(const std::vector<Tensor>&)>& f) {
  set_num_threads(threads);
  std::vector<Tensor> in;
  for (std::size_t i = 0; i < shapes.size(); ++i)
    in.push_back(random_input(shapes[i], 20 + i, true, DType::f32).set_requires_grad(true));
  Tensor out = f(in);
  Rng rng(2);
  out.backward(Tensor::randn(out.shape(), rng, out.dtype()));
  std::vector<double> all = out.to_vector();
  for (auto& t : in)
    for (double v : t.grad().to_vector()) all.push_back(v);
  set_num_threads(0);
  return all;
}

}  // namespace specnet::test
