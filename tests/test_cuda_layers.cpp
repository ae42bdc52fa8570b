// Kernel-level CUDA parity for the dense layers: linear/matmul, conv1d, conv_transpose1d, batchnorm, GRU and the
// rational-quadratic spline run on the CPU and the GPU on the same random data (float32 and float64), forward and
// accumulating backward. Skipped with a message when the build has no CUDA backend or no GPU is present.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "harness.h"
#include "specnet/cpu/batchnorm.h"
#include "specnet/cpu/conv1d.h"
#include "specnet/cpu/conv_transpose1d.h"
#include "specnet/cpu/gru.h"
#include "specnet/cpu/linear.h"
#include "specnet/cpu/rq_spline.h"

#ifdef SPECNET_WITH_CUDA
#include "specnet/cuda/batchnorm.h"
#include "specnet/cuda/conv1d.h"
#include "specnet/cuda/conv_transpose1d.h"
#include "specnet/cuda/gru.h"
#include "specnet/cuda/linear.h"
#include "specnet/cuda/rq_spline.h"
#include "specnet/cuda/runtime.h"
#endif

using namespace specnet;

namespace {
bool gpu_present() { return test::gpu_present("CUDA layer parity"); }
}  // namespace

#ifdef SPECNET_WITH_CUDA
namespace {

// Relative tolerance of a float32 / float64 comparison: the two backends sum in different orders.
template <typename T>
double tol() {
  return sizeof(T) == 4 ? 2e-4 : 1e-10;
}

// One buffer with the same values on the host (h) and the device (d).
struct Buf {
  Tensor h, d;
  Buf(const Shape& shape, std::uint64_t seed, DType dt, bool positive = false)
      : h(test::random_input(shape, seed, positive, dt)), d(h.to(Device::cuda)) {}
  explicit Buf(const Tensor& host) : h(host.contiguous()), d(h.to(Device::cuda)) {}
  template <typename T>
  T* hp() {
    return h.data<T>();
  }
  template <typename T>
  T* dp() {
    return d.ptr<T>();
  }
  // The device copy agrees with the host copy to rtol relative to the largest host value.
  void check(double rtol, const std::string& what) const { test::check_close(d, h, rtol, what); }
};

// int32 bins on the device (the spline's saved bin indices), freed with the scope.
struct DeviceInts {
  std::int32_t* p;
  std::size_t bytes;
  explicit DeviceInts(std::int64_t n)
      : p(static_cast<std::int32_t*>(cuda::device_alloc(static_cast<std::size_t>(n) * 4))),
        bytes(static_cast<std::size_t>(n) * 4) {}
  ~DeviceInts() { cuda::device_free(p, bytes); }
  std::vector<std::int32_t> host() const {
    std::vector<std::int32_t> v(bytes / 4);
    cuda::copy_to_host(v.data(), p, bytes);
    return v;
  }
};

template <typename F>
void for_dtypes(F f) {
  for (DType dt : {DType::f32, DType::f64}) {
    CAPTURE(dtype_name(dt));
    SPECNET_DISPATCH_FLOAT(dt, T, { f(T(0), dt); });
  }
}

}  // namespace

TEST_CASE("cuda linear and matmul match the CPU kernels, backward accumulates") {
  if (!gpu_present()) return;
  for_dtypes([](auto zero, DType dt) {
    using T = decltype(zero);
    const std::int64_t N = 37, I = 19, O = 23;
    for (bool with_bias : {true, false}) {
      Buf x({N, I}, 1, dt), w({O, I}, 2, dt), b({O}, 3, dt), out({N, O}, 4, dt);
      T* bh = with_bias ? b.hp<T>() : nullptr;
      T* bd = with_bias ? b.dp<T>() : nullptr;
      cpu::linear_forward<T>(out.hp<T>(), x.hp<T>(), w.hp<T>(), bh, N, I, O);
      cuda::linear_forward<T>(out.dp<T>(), x.dp<T>(), w.dp<T>(), bd, N, I, O);
      out.check(tol<T>(), with_bias ? "linear forward" : "linear forward without bias");
    }
    // Gradient buffers start nonzero: the GEMMs must add (beta = 1), not overwrite.
    Buf x({N, I}, 5, dt), w({O, I}, 6, dt), dout({N, O}, 7, dt), dx({N, I}, 8, dt), dw({O, I}, 9, dt), db({O}, 10, dt);
    cpu::linear_backward<T>(dx.hp<T>(), dw.hp<T>(), db.hp<T>(), dout.hp<T>(), x.hp<T>(), w.hp<T>(), N, I, O);
    cuda::linear_backward<T>(dx.dp<T>(), dw.dp<T>(), db.dp<T>(), dout.dp<T>(), x.dp<T>(), w.dp<T>(), N, I, O);
    dx.check(tol<T>(), "linear dx");
    dw.check(tol<T>(), "linear dw");
    db.check(tol<T>(), "linear db");
    for (bool acc : {false, true}) {
      Buf a({N, I}, 11, dt), bm({I, O}, 12, dt), c({N, O}, 13, dt);
      cpu::matmul_forward<T>(c.hp<T>(), a.hp<T>(), bm.hp<T>(), N, I, O, acc);
      cuda::matmul_forward<T>(c.dp<T>(), a.dp<T>(), bm.dp<T>(), N, I, O, acc);
      c.check(tol<T>(), acc ? "matmul accumulate" : "matmul");
    }
  });
}

namespace {
struct ConvGeom {
  std::int64_t B, C, L, O, K, stride, pad, dil, opad;
};
const std::vector<ConvGeom> kConvGeoms = {
    {3, 2, 17, 4, 3, 1, 1, 1, 0}, {2, 4, 40, 3, 3, 2, 1, 1, 1}, {2, 3, 31, 5, 5, 3, 2, 2, 2},
    {4, 1, 64, 4, 3, 2, 1, 1, 1}, {2, 5, 12, 6, 1, 2, 0, 1, 1}, {1, 3, 9, 2, 4, 1, 2, 3, 0},
};

// Data and weight gradients of conv1d or conv_transpose1d (the two share these kernel signatures) on both devices,
// accumulated into nonzero buffers; w_shape is the weight layout, M the output length.
template <typename T, typename Data, typename Weight>
void check_conv_backward(Data cpu_data, Data cuda_data, Weight cpu_weight, Weight cuda_weight, const ConvGeom& g,
                         std::int64_t M, Buf& x, Buf& w, DType dt, const std::string& what) {
  Buf dout({g.B, g.O, M}, 24, dt), dx({g.B, g.C, g.L}, 25, dt), dw(w.h.shape(), 26, dt), db({g.O}, 27, dt);
  cpu_data(dx.hp<T>(), dout.hp<T>(), w.hp<T>(), g.B, g.C, g.L, g.O, M, g.K, g.stride, g.pad, g.dil);
  cuda_data(dx.dp<T>(), dout.dp<T>(), w.dp<T>(), g.B, g.C, g.L, g.O, M, g.K, g.stride, g.pad, g.dil);
  cpu_weight(dw.hp<T>(), db.hp<T>(), dout.hp<T>(), x.hp<T>(), g.B, g.C, g.L, g.O, M, g.K, g.stride, g.pad, g.dil);
  cuda_weight(dw.dp<T>(), db.dp<T>(), dout.dp<T>(), x.dp<T>(), g.B, g.C, g.L, g.O, M, g.K, g.stride, g.pad, g.dil);
  dx.check(tol<T>(), what + " dx");
  dw.check(tol<T>(), what + " dw");
  db.check(tol<T>(), what + " db");
}
}  // namespace

TEST_CASE("cuda conv1d forward and backward match the CPU kernels") {
  if (!gpu_present()) return;
  for_dtypes([](auto zero, DType dt) {
    using T = decltype(zero);
    for (const ConvGeom& g : kConvGeoms) {
      CAPTURE(g.C);
      CAPTURE(g.L);
      CAPTURE(g.stride);
      CAPTURE(g.pad);
      CAPTURE(g.dil);
      const std::int64_t M = (g.L + 2 * g.pad - g.dil * (g.K - 1) - 1) / g.stride + 1;
      REQUIRE(M >= 1);
      Buf x({g.B, g.C, g.L}, 20, dt), w({g.O, g.C, g.K}, 21, dt), b({g.O}, 22, dt), out({g.B, g.O, M}, 23, dt);
      for (bool acc : {false, true})
        for (bool bias : {true, false}) {
          cpu::conv1d_forward<T>(out.hp<T>(), x.hp<T>(), w.hp<T>(), bias ? b.hp<T>() : nullptr, g.B, g.C, g.L, g.O, M,
                                 g.K, g.stride, g.pad, g.dil, acc);
          cuda::conv1d_forward<T>(out.dp<T>(), x.dp<T>(), w.dp<T>(), bias ? b.dp<T>() : nullptr, g.B, g.C, g.L, g.O, M,
                                  g.K, g.stride, g.pad, g.dil, acc);
          out.check(tol<T>(), std::string("conv1d forward") + (acc ? ", accumulate" : "") + (bias ? "" : ", no bias"));
        }
      check_conv_backward<T>(&cpu::conv1d_backward_data<T>, &cuda::conv1d_backward_data<T>,
                             &cpu::conv1d_backward_weight<T>, &cuda::conv1d_backward_weight<T>, g, M, x, w, dt,
                             "conv1d");
    }
  });
}

TEST_CASE("cuda conv_transpose1d forward and backward match the CPU kernels") {
  if (!gpu_present()) return;
  for_dtypes([](auto zero, DType dt) {
    using T = decltype(zero);
    for (const ConvGeom& g : kConvGeoms) {
      CAPTURE(g.C);
      CAPTURE(g.L);
      CAPTURE(g.stride);
      CAPTURE(g.opad);
      const std::int64_t M = (g.L - 1) * g.stride - 2 * g.pad + g.dil * (g.K - 1) + g.opad + 1;
      REQUIRE(M >= 1);
      Buf x({g.B, g.C, g.L}, 30, dt), w({g.C, g.O, g.K}, 31, dt), b({g.O}, 32, dt), out({g.B, g.O, M}, 33, dt);
      cpu::conv_transpose1d_forward<T>(out.hp<T>(), x.hp<T>(), w.hp<T>(), b.hp<T>(), g.B, g.C, g.L, g.O, M, g.K,
                                       g.stride, g.pad, g.dil);
      cuda::conv_transpose1d_forward<T>(out.dp<T>(), x.dp<T>(), w.dp<T>(), b.dp<T>(), g.B, g.C, g.L, g.O, M, g.K,
                                        g.stride, g.pad, g.dil);
      out.check(tol<T>(), "conv_transpose1d forward");
      check_conv_backward<T>(&cpu::conv_transpose1d_backward_data<T>, &cuda::conv_transpose1d_backward_data<T>,
                             &cpu::conv_transpose1d_backward_weight<T>, &cuda::conv_transpose1d_backward_weight<T>, g,
                             M, x, w, dt, "conv_transpose1d");
    }
  });
}

TEST_CASE("cuda batchnorm train/eval and backward match the CPU kernels, running statistics included") {
  if (!gpu_present()) return;
  for_dtypes([](auto zero, DType dt) {
    using T = decltype(zero);
    // (B, C, L): a 3-d case with a long slice count and a 2-d (L = 1) case.
    for (Shape s : {Shape{7, 3, 2500}, Shape{33, 5, 1}}) {
      const std::int64_t B = s[0], C = s[1], L = s[2];
      CAPTURE(B);
      CAPTURE(L);
      for (bool affine : {true, false}) {
        Buf x(s, 40, dt), w({C}, 41, dt), b({C}, 42, dt), out(s, 43, dt), mean({C}, 44, dt), rstd({C}, 45, dt);
        Buf rm({C}, 46, dt), rv({C}, 47, dt, true);
        T* wh = affine ? w.hp<T>() : nullptr;
        T* wd = affine ? w.dp<T>() : nullptr;
        T* bh = affine ? b.hp<T>() : nullptr;
        T* bd = affine ? b.dp<T>() : nullptr;
        cpu::batchnorm_forward_train<T>(out.hp<T>(), mean.hp<T>(), rstd.hp<T>(), rm.hp<T>(), rv.hp<T>(), x.hp<T>(), wh,
                                        bh, B, C, L, 0.1, 1e-5);
        cuda::batchnorm_forward_train<T>(out.dp<T>(), mean.dp<T>(), rstd.dp<T>(), rm.dp<T>(), rv.dp<T>(), x.dp<T>(), wd,
                                         bd, B, C, L, 0.1, 1e-5);
        out.check(tol<T>(), "batchnorm train out");
        mean.check(tol<T>(), "batchnorm mean");
        rstd.check(tol<T>(), "batchnorm rstd");
        rm.check(tol<T>(), "batchnorm running_mean");
        rv.check(tol<T>(), "batchnorm running_var");
        for (bool training : {true, false}) {
          Buf dout(s, 48, dt), dx(s, 49, dt), dw({C}, 50, dt), db({C}, 51, dt);
          cpu::batchnorm_backward<T>(dx.hp<T>(), affine ? dw.hp<T>() : nullptr, affine ? db.hp<T>() : nullptr,
                                     dout.hp<T>(), x.hp<T>(), wh, mean.hp<T>(), rstd.hp<T>(), B, C, L, training);
          cuda::batchnorm_backward<T>(dx.dp<T>(), affine ? dw.dp<T>() : nullptr, affine ? db.dp<T>() : nullptr,
                                      dout.dp<T>(), x.dp<T>(), wd, mean.dp<T>(), rstd.dp<T>(), B, C, L, training);
          dx.check(tol<T>(), training ? "batchnorm dx (train)" : "batchnorm dx (eval)");
          dw.check(tol<T>(), "batchnorm dw");
          db.check(tol<T>(), "batchnorm db");
        }
        cpu::batchnorm_forward_eval<T>(out.hp<T>(), mean.hp<T>(), rstd.hp<T>(), x.hp<T>(), rm.hp<T>(), rv.hp<T>(), wh,
                                       bh, B, C, L, 1e-5);
        cuda::batchnorm_forward_eval<T>(out.dp<T>(), mean.dp<T>(), rstd.dp<T>(), x.dp<T>(), rm.dp<T>(), rv.dp<T>(), wd,
                                        bd, B, C, L, 1e-5);
        out.check(tol<T>(), "batchnorm eval out");
      }
    }
  });
}

TEST_CASE("cuda GRU layer forward and backward through time match the CPU kernels") {
  if (!gpu_present()) return;
  for_dtypes([](auto zero, DType dt) {
    using T = decltype(zero);
    const std::int64_t B = 5, L = 9, I = 3;
    // H = 1 (the paper's decoder), a non-power of two, and H > 128 (several units per thread).
    for (std::int64_t H : {1, 5, 33, 200}) {
      for (bool reverse : {false, true}) {
        for (bool with_h0 : {true, false}) {
          CAPTURE(H);
          CAPTURE(reverse);
          CAPTURE(with_h0);
          const std::int64_t G = 3 * H;
          // W_hh at PyTorch's init scale (1/sqrt(H)): with unit-variance weights a 200-unit GRU amplifies
          // float32 round-off ~1e4-fold over 9 steps (float64 still agrees), so the check would measure chaos.
          Tensor whh_host = test::random_input({G, H}, 63, false, dt).contiguous();
          {
            T* w = whh_host.data<T>();
            for (std::int64_t k = 0; k < G * H; ++k) w[k] = static_cast<T>(w[k] / std::sqrt(static_cast<double>(H)));
          }
          Buf x({B, L, I}, 60, dt), h0({B, H}, 61, dt), wih({G, I}, 62, dt), whh(whh_host), bih({G}, 64, dt),
              bhh({G}, 65, dt), out({B, L, H}, 66, dt), gates({B, L, 4 * H}, 67, dt);
          T* h0h = with_h0 ? h0.hp<T>() : nullptr;
          T* h0d = with_h0 ? h0.dp<T>() : nullptr;
          cpu::gru_forward<T>(out.hp<T>(), gates.hp<T>(), x.hp<T>(), h0h, wih.hp<T>(), whh.hp<T>(), bih.hp<T>(),
                              bhh.hp<T>(), B, L, I, H, reverse);
          cuda::gru_forward<T>(out.dp<T>(), gates.dp<T>(), x.dp<T>(), h0d, wih.dp<T>(), whh.dp<T>(), bih.dp<T>(),
                               bhh.dp<T>(), B, L, I, H, reverse);
          out.check(tol<T>(), "gru out");
          gates.check(tol<T>(), "gru gates");
          Buf dout({B, L, H}, 68, dt), dx({B, L, I}, 69, dt), dh0({B, H}, 70, dt), dwih({G, I}, 71, dt),
              dwhh({G, H}, 72, dt), dbih({G}, 73, dt), dbhh({G}, 74, dt);
          // The backward reads the CPU's saved states on both devices, so only the backward kernels are compared.
          Buf out_saved(out.h), gates_saved(gates.h);
          cpu::gru_backward<T>(dx.hp<T>(), with_h0 ? dh0.hp<T>() : nullptr, dwih.hp<T>(), dwhh.hp<T>(), dbih.hp<T>(),
                               dbhh.hp<T>(), dout.hp<T>(), out_saved.hp<T>(), gates_saved.hp<T>(), x.hp<T>(), h0h,
                               wih.hp<T>(), whh.hp<T>(), B, L, I, H, reverse);
          cuda::gru_backward<T>(dx.dp<T>(), with_h0 ? dh0.dp<T>() : nullptr, dwih.dp<T>(), dwhh.dp<T>(), dbih.dp<T>(),
                                dbhh.dp<T>(), dout.dp<T>(), out_saved.dp<T>(), gates_saved.dp<T>(), x.dp<T>(), h0d,
                                wih.dp<T>(), whh.dp<T>(), B, L, I, H, reverse);
          dx.check(tol<T>(), "gru dx");
          dh0.check(tol<T>(), "gru dh0");
          dwih.check(tol<T>(), "gru dw_ih");
          dwhh.check(tol<T>(), "gru dw_hh");
          dbih.check(tol<T>(), "gru db_ih");
          dbhh.check(tol<T>(), "gru db_hh");
        }
      }
    }
  });
}

TEST_CASE("cuda rq_spline forward, inverse and backward match the CPU kernels") {
  if (!gpu_present()) return;
  for_dtypes([](auto zero, DType dt) {
    using T = decltype(zero);
    const std::int64_t n = 3000, K = 8;
    for (bool inverse : {false, true}) {
      CAPTURE(inverse);
      cpu::RqSplineConfig cfg;
      cfg.tail_bound = 3.0;
      cfg.inverse = inverse;
      // Inputs ~ 2 N(0, 1): about 13 % fall in the identity tails beyond |x| = 3.
      Tensor x2 = test::random_input({n}, 80, false, DType::f64);
      for (std::int64_t i = 0; i < n; ++i) x2.data<double>()[i] *= 2;
      Buf x(x2.to(dt)), uw({n, K}, 81, dt), uh({n, K}, 82, dt), ud({n, K - 1}, 83, dt), out({n}, 84, dt),
          lad({n}, 85, dt);
      std::vector<std::int32_t> bins(static_cast<std::size_t>(n));
      DeviceInts dbins(n);
      cpu::rq_spline_forward<T>(out.hp<T>(), lad.hp<T>(), bins.data(), x.hp<T>(), uw.hp<T>(), uh.hp<T>(), ud.hp<T>(), n,
                                K, cfg);
      cuda::rq_spline_forward<T>(out.dp<T>(), lad.dp<T>(), dbins.p, x.dp<T>(), uw.dp<T>(), uh.dp<T>(), ud.dp<T>(), n, K,
                                 cfg);
      out.check(tol<T>(), "rq_spline out");
      lad.check(tol<T>(), "rq_spline logabsdet");
      const std::vector<std::int32_t> gpu_bins = dbins.host();
      std::int64_t tails = 0, differ = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        tails += bins[i] < 0;
        differ += bins[i] != gpu_bins[i];
      }
      CHECK(differ == 0);
      CHECK(tails > 100);  // both the tails and the interior are exercised
      // Backward from the CPU's bins on both devices.
      DeviceInts cbins(n);
      cuda::copy_to_device(cbins.p, bins.data(), cbins.bytes);
      Buf dout({n}, 86, dt), dlad({n}, 87, dt), dx({n}, 88, dt), duw({n, K}, 89, dt), duh({n, K}, 90, dt),
          dud({n, K - 1}, 91, dt);
      cpu::rq_spline_backward<T>(dx.hp<T>(), duw.hp<T>(), duh.hp<T>(), dud.hp<T>(), dout.hp<T>(), dlad.hp<T>(),
                                 bins.data(), x.hp<T>(), uw.hp<T>(), uh.hp<T>(), ud.hp<T>(), n, K, cfg);
      cuda::rq_spline_backward<T>(dx.dp<T>(), duw.dp<T>(), duh.dp<T>(), dud.dp<T>(), dout.dp<T>(), dlad.dp<T>(),
                                  cbins.p, x.dp<T>(), uw.dp<T>(), uh.dp<T>(), ud.dp<T>(), n, K, cfg);
      dx.check(tol<T>(), "rq_spline dx");
      duw.check(tol<T>(), "rq_spline d widths");
      duh.check(tol<T>(), "rq_spline d heights");
      dud.check(tol<T>(), "rq_spline d derivatives");
      // Non-finite detection: none in the clean data, then a NaN in the heights and an infinity in the input.
      CHECK(cuda::rq_spline_nonfinite<T>(x.dp<T>(), uw.dp<T>(), uh.dp<T>(), ud.dp<T>(), n, K) == 0);
      uh.h.data<T>()[n * K - 1] = std::numeric_limits<T>::quiet_NaN();
      x.h.data<T>()[7] = std::numeric_limits<T>::infinity();
      Buf bad_x(x.h), bad_uh(uh.h);
      const int cpu_bits = cpu::rq_spline_nonfinite<T>(x.hp<T>(), uw.hp<T>(), uh.hp<T>(), ud.hp<T>(), n, K);
      CHECK(cpu_bits == 5);
      CHECK(cuda::rq_spline_nonfinite<T>(bad_x.dp<T>(), uw.dp<T>(), bad_uh.dp<T>(), ud.dp<T>(), n, K) == cpu_bits);
    }
  });
}

#else

TEST_CASE("cuda layer kernels: this build has no CUDA backend") { CHECK_FALSE(gpu_present()); }

#endif
