// rq_spline: autodiff wrapper over src/cpu/rq_spline.cpp and src/cuda/rq_spline.cu; matches nflows'
// unconstrained_rational_quadratic_spline with linear tails. Both outputs live in one (2, S) result so one node
// carries the gradients of both.
#include <cmath>
#include <memory>

#include "specnet/autograd.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/rq_spline.h"
#include "specnet/ops/spline.h"

namespace specnet {
namespace {

void check_params(const Tensor& x, const Tensor& p, std::int64_t last, const char* what) {
  check_same_device("rq_spline", x, p);
  check_same_dtype("rq_spline", x, p);
  Shape want = x.shape();
  want.push_back(last);
  SPECNET_CHECK(p.shape() == want, "rq_spline: ", what, " shape ", shape_str(p.shape()), " != ", shape_str(want),
                " (input shape ", shape_str(x.shape()), " + bins)");
}


}  // namespace

SplineResult rq_spline(const Tensor& x_in, const Tensor& w_in, const Tensor& h_in, const Tensor& d_in,
                       const cpu::RqSplineConfig& cfg) {
  SPECNET_CHECK(w_in.dim() >= 1, "rq_spline: widths must have a bin dimension");
  const std::int64_t K = w_in.size(-1);
  SPECNET_CHECK(K >= 2, "rq_spline: need at least 2 bins, got ", K);
  SPECNET_CHECK(cfg.tail_bound > 0 && std::isfinite(cfg.tail_bound), "rq_spline: tail_bound must be > 0, got ",
                cfg.tail_bound);
  SPECNET_CHECK(cfg.min_bin_width > 0 && cfg.min_bin_width * K < 1, "rq_spline: min_bin_width ", cfg.min_bin_width,
                " must be in (0, 1/K) for K = ", K);
  SPECNET_CHECK(cfg.min_bin_height > 0 && cfg.min_bin_height * K < 1, "rq_spline: min_bin_height ",
                cfg.min_bin_height, " must be in (0, 1/K) for K = ", K);
  SPECNET_CHECK(cfg.min_derivative > 0 && cfg.min_derivative < 1, "rq_spline: min_derivative must be in (0, 1), got ",
                cfg.min_derivative);
  check_params(x_in, w_in, K, "widths");
  check_params(x_in, h_in, K, "heights");
  check_params(x_in, d_in, K - 1, "derivatives");
  Tensor x = x_in.contiguous(), w = w_in.contiguous(), h = h_in.contiguous(), d = d_in.contiguous();
  const std::int64_t n = x.numel();
  const Device dev = x.device();
  // NaN/inf refusal in one pass without copies (sampling passes millions of parameters per call).
  int bad = 0;
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    bad = SPECNET_KERNEL(dev, rq_spline_nonfinite, x.ptr<T>(), w.ptr<T>(), h.ptr<T>(), d.ptr<T>(), n, K);
  });
  const char* names[] = {"the input", "widths", "heights", "derivatives"};
  for (int a = 0; a < 4; ++a) SPECNET_CHECK(!(bad >> a & 1), "rq_spline: non-finite value in ", names[a]);
  Shape packed_shape{2};
  packed_shape.insert(packed_shape.end(), x.shape().begin(), x.shape().end());
  Tensor packed = Tensor::empty(packed_shape, x.dtype(), dev);  // (2, S): outputs, logabsdet
  // (S) int32 bin per element, on x's device
  auto bins = std::make_shared<Storage>(static_cast<std::size_t>(n) * sizeof(std::int32_t), dev);
  auto* bin_ptr = static_cast<std::int32_t*>(bins->data);
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    SPECNET_KERNEL(dev, rq_spline_forward, packed.ptr<T>(), packed.ptr<T>() + n, bin_ptr, x.ptr<T>(), w.ptr<T>(),
                   h.ptr<T>(), d.ptr<T>(), n, K, cfg);
  });
  if (needs_grad({&x, &w, &h, &d})) {
    SavedTensor sx(x, "rq_spline"), sw(w, "rq_spline"), sh(h, "rq_spline"), sd(d, "rq_spline");
    attach_grad_fn(packed, "rq_spline", {x, w, h, d},
                   [x, w, h, d, sx, sw, sh, sd, bins, bin_ptr, n, K, cfg, dev](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dw = grad_buffer(w), dh = grad_buffer(h), dd = grad_buffer(d);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        auto ptr = [](Tensor& t) { return t.defined() ? t.ptr<T>() : nullptr; };
        const std::int32_t* saved_bins = bin_ptr;
        SPECNET_KERNEL(dev, rq_spline_backward, ptr(dx), ptr(dw), ptr(dh), ptr(dd), dout.ptr<T>(), dout.ptr<T>() + n,
                       saved_bins, sx.get().ptr<T>(), sw.get().ptr<T>(), sh.get().ptr<T>(), sd.get().ptr<T>(), n, K,
                       cfg);
      });
    });
  }
  return {packed.slice(0, 0, 1).squeeze(0), packed.slice(0, 1, 2).squeeze(0)};
}

}  // namespace specnet
