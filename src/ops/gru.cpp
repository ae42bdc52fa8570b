// gru_layer: autodiff wrapper over the fused GRU kernels (src/cpu/gru.cpp, src/cuda/gru.cu); one torch.nn.GRU
// layer and direction.
// The gates of every step are saved by forward, so backward through time needs no recomputation.
#include "specnet/ops/gru.h"

#include "specnet/autograd.h"
#include "specnet/cpu/gru.h"
#include "specnet/cuda/dispatch.h"
#include "specnet/cuda/gru.h"

namespace specnet {
namespace {

// Device pointer of an optional tensor (undefined: null). Gradient buffers are handles, so a copy writes the same
// storage.
template <typename T>
T* opt_data(Tensor t) {
  return t.defined() ? t.ptr<T>() : nullptr;
}

}  // namespace

Tensor gru_layer(const Tensor& x_in, const Tensor& h0_in, const Tensor& wih_in, const Tensor& whh_in,
                 const Tensor& bih_in, const Tensor& bhh_in, bool reverse) {
  check_dim("gru_layer", x_in, 3, "input (B, L, I)");
  check_dim("gru_layer", wih_in, 2, "weight_ih (3H, I)");
  check_dim("gru_layer", whh_in, 2, "weight_hh (3H, H)");
  const std::int64_t B = x_in.size(0), L = x_in.size(1), I = x_in.size(2), H = whh_in.size(1);
  SPECNET_CHECK(B > 0 && L > 0 && H > 0, "gru_layer: empty input ", shape_str(x_in.shape()), " or hidden size ", H);
  SPECNET_CHECK(whh_in.shape() == (Shape{3 * H, H}), "gru_layer: weight_hh shape ", shape_str(whh_in.shape()),
                " != (3H, H)");
  SPECNET_CHECK(wih_in.shape() == (Shape{3 * H, I}), "gru_layer: weight_ih shape ", shape_str(wih_in.shape()),
                " != (", 3 * H, ", ", I, ") for input ", shape_str(x_in.shape()));
  for (const Tensor* t : {&wih_in, &whh_in, &bih_in, &bhh_in, &h0_in})
    if (t->defined()) {
      check_same_device("gru_layer", x_in, *t);
      check_same_dtype("gru_layer", x_in, *t);
    }
  for (const Tensor* b : {&bih_in, &bhh_in})
    if (b->defined())
      SPECNET_CHECK(b->shape() == Shape{3 * H}, "gru_layer: bias shape ", shape_str(b->shape()), " != (", 3 * H, ",)");
  if (h0_in.defined())
    SPECNET_CHECK(h0_in.shape() == (Shape{B, H}), "gru_layer: h0 shape ", shape_str(h0_in.shape()), " != (", B, ", ",
                  H, ")");
  auto contig = [](const Tensor& t) { return t.defined() ? t.contiguous() : Tensor(); };
  Tensor x = x_in.contiguous(), h0 = contig(h0_in), wih = wih_in.contiguous(), whh = whh_in.contiguous(),
         bih = contig(bih_in), bhh = contig(bhh_in);
  const Device dev = x.device();
  Tensor out = Tensor::empty({B, L, H}, x.dtype(), dev);
  Tensor gates = Tensor::empty({B, L, 4 * H}, x.dtype(), dev);  // r, z, n, W_hn h + b_hn per step
  SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
    SPECNET_KERNEL(dev, gru_forward, out.ptr<T>(), gates.ptr<T>(), x.ptr<T>(), opt_data<T>(h0), wih.ptr<T>(),
                   whh.ptr<T>(), opt_data<T>(bih), opt_data<T>(bhh), B, L, I, H, reverse);
  });
  if (needs_grad({&x, &h0, &wih, &whh, &bih, &bhh})) {
    SavedTensor sx(x, "gru_layer"), swih(wih, "gru_layer"), swhh(whh, "gru_layer"), so(out.detach(), "gru_layer");
    SavedTensor sh0 = h0.defined() ? SavedTensor(h0, "gru_layer") : SavedTensor();
    std::vector<Tensor> inputs{x, wih, whh};
    for (const Tensor* t : {&h0, &bih, &bhh})
      if (t->defined()) inputs.push_back(*t);
    auto backward = [x, h0, wih, whh, bih, bhh, sx, swih, swhh, so, sh0, gates, B, L, I, H, reverse,
                     dev](const Tensor& dout) {
      Tensor dx = grad_buffer(x), dh0 = grad_buffer(h0), dwih = grad_buffer(wih),
             dwhh = grad_buffer(whh), dbih = grad_buffer(bih), dbhh = grad_buffer(bhh);
      SPECNET_DISPATCH_FLOAT(x.dtype(), T, {
        SPECNET_KERNEL(dev, gru_backward, opt_data<T>(dx), opt_data<T>(dh0), opt_data<T>(dwih), opt_data<T>(dwhh),
                       opt_data<T>(dbih), opt_data<T>(dbhh), dout.ptr<T>(), so.get().ptr<T>(), gates.ptr<T>(),
                       sx.get().ptr<T>(), h0.defined() ? sh0.get().ptr<T>() : nullptr, swih.get().ptr<T>(),
                       swhh.get().ptr<T>(), B, L, I, H, reverse);
      });
    };
    attach_grad_fn(out, "gru_layer", inputs, backward);
  }
  return out;
}

}  // namespace specnet
