// batch_norm(x, running_mean, running_var, weight, bias, training): autodiff wrapper over src/cpu/batchnorm.cpp
// and src/cuda/batchnorm.cu;
// matches torch.nn.functional.batch_norm, including the in-place running-statistics update in training.
#include "specnet/ops/batchnorm.h"

#include <cmath>

#include "specnet/autograd.h"
#include "specnet/cpu/batchnorm.h"
#include "specnet/cuda/batchnorm.h"
#include "specnet/cuda/dispatch.h"

namespace specnet {
namespace {
// running_mean / running_var / weight / bias: undefined or a (C) tensor of the input's dtype and device.
void check_per_channel(const Tensor& x, const Tensor& t, const char* what, std::int64_t C) {
  if (!t.defined()) return;
  check_same_device("batch_norm", x, t);
  SPECNET_CHECK(t.shape() == Shape{C}, "batch_norm: ", what, " shape ", shape_str(t.shape()), " != (", C,
                ",) for input ", shape_str(x.shape()));
  check_same_dtype("batch_norm", x, t);
}
}  // namespace

Tensor batch_norm(const Tensor& x_in, Tensor running_mean, Tensor running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  SPECNET_CHECK(x_in.dim() == 2 || x_in.dim() == 3, "batch_norm: input must be (B, C) or (B, C, L), got ",
                shape_str(x_in.shape()));
  const std::int64_t B = x_in.size(0), C = x_in.size(1), L = x_in.dim() == 3 ? x_in.size(2) : 1;
  SPECNET_CHECK(std::isfinite(eps) && eps >= 0, "batch_norm: eps must be finite and >= 0, got ", eps);
  SPECNET_CHECK(std::isfinite(momentum), "batch_norm: momentum must be finite, got ", momentum);
  check_per_channel(x_in, running_mean, "running_mean", C);
  check_per_channel(x_in, running_var, "running_var", C);
  check_per_channel(x_in, weight, "weight", C);
  check_per_channel(x_in, bias, "bias", C);
  SPECNET_CHECK(running_mean.defined() == running_var.defined(),
                "batch_norm: give both running_mean and running_var or neither");
  SPECNET_CHECK(!running_mean.defined() || (!running_mean.requires_grad() && !running_var.requires_grad()),
                "batch_norm: running_mean / running_var are buffers and must not require grad");
  SPECNET_CHECK(training || running_mean.defined(), "batch_norm: eval mode (training = false) needs running_mean and running_var");
  SPECNET_CHECK(!training || B * L > 1, "batch_norm: Expected more than 1 value per channel when training, got input size ",
                shape_str(x_in.shape()));

  Tensor x = x_in.contiguous();
  Tensor w = weight.defined() ? weight.contiguous() : Tensor(), b = bias.defined() ? bias.contiguous() : Tensor();
  const Device dev = x.device();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), dev);  // (B, C[, L])
  Tensor mean = Tensor::empty({C}, x.dtype(), dev), rstd = Tensor::empty({C}, x.dtype(), dev);  // (C) for backward
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    const T* wp = w.defined() ? w.ptr<T>() : nullptr;
    const T* bp = b.defined() ? b.ptr<T>() : nullptr;
    if (training) {
      // The running buffers are updated in place (as under no_grad in torch); a strided buffer goes through a
      // contiguous copy that is written back.
      Tensor rm = running_mean.defined() ? running_mean.contiguous() : Tensor();
      Tensor rv = running_var.defined() ? running_var.contiguous() : Tensor();
      SPECNET_KERNEL(dev, batchnorm_forward_train, out.ptr<T>(), mean.ptr<T>(), rstd.ptr<T>(),
                     rm.defined() ? rm.ptr<T>() : nullptr, rv.defined() ? rv.ptr<T>() : nullptr, x.ptr<T>(), wp, bp,
                     B, C, L, momentum, eps);
      for (auto [dst, src] : {std::pair<Tensor*, Tensor*>{&running_mean, &rm}, {&running_var, &rv}}) {
        if (!dst->defined()) continue;
        if (dst->same(*src)) {
          dst->impl().storage->version++;
        } else {
          NoGradGuard ng;
          dst->copy_(*src);
        }
      }
    } else {
      Tensor rm = running_mean.contiguous(), rv = running_var.contiguous();
      SPECNET_KERNEL(dev, batchnorm_forward_eval, out.ptr<T>(), mean.ptr<T>(), rstd.ptr<T>(), x.ptr<T>(),
                     rm.ptr<T>(), rv.ptr<T>(), wp, bp, B, C, L, eps);
    }
  });
  if (needs_grad({&x, &w, &b})) {
    SavedTensor sx(x, "batch_norm"), sw;
    if (w.defined()) sw = SavedTensor(w, "batch_norm");
    std::vector<Tensor> inputs{x};
    if (w.defined()) inputs.push_back(w);
    if (b.defined()) inputs.push_back(b);
    attach_grad_fn(out, "batch_norm", inputs, [x, w, b, sx, sw, mean, rstd, B, C, L, training,
                                                 dev](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dw = grad_buffer(w), db = grad_buffer(b);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        SPECNET_KERNEL(dev, batchnorm_backward, dx.defined() ? dx.ptr<T>() : nullptr,
                       dw.defined() ? dw.ptr<T>() : nullptr, db.defined() ? db.ptr<T>() : nullptr, dout.ptr<T>(),
                       sx.get().ptr<T>(), w.defined() ? sw.get().ptr<T>() : nullptr, mean.ptr<T>(), rstd.ptr<T>(), B,
                       C, L, training);
      });
    });
  }
  return out;
}

}  // namespace specnet
