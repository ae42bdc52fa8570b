// Tensor-scalar add / mul and neg: autodiff wrappers over src/cpu/affine.cpp (torch.add / torch.mul
// with a Python scalar, torch.neg).
#include "specnet/cpu/affine.h"
#include "specnet/cuda/affine.h"

#include <cmath>

#include "specnet/ops/arith.h"
#include "unary_op.h"

namespace specnet {

static Tensor affine(const char* name, const Tensor& a, double scale, double shift) {
  return detail::unary_op(
      name, a,
      [=](Device d, auto* out, const auto* in, std::int64_t n) {
        SPECNET_KERNEL(d, affine_forward, out, in, n, scale, shift);
      },
      [=](Device d, auto* din, const auto*, const auto*, const auto* dout, std::int64_t n) {
        SPECNET_KERNEL(d, affine_backward, din, dout, n, scale);
      });
}

Tensor add(const Tensor& a, double s) { return affine("add_scalar", a, 1.0, s); }
Tensor mul(const Tensor& a, double s) { return affine("mul_scalar", a, s, 0.0); }
Tensor neg(const Tensor& a) { return affine("neg", a, -1.0, 0.0); }

}  // namespace specnet
