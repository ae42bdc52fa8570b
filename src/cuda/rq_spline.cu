// Rational-quadratic spline kernels on the GPU, one thread per element, everything per element in double as on the
// CPU. The bin formula and its dual-number derivatives are the CPU's (src/cpu/rq_spline_local.h); the knots are
// recomputed on the fly (no per-thread arrays). Matches nflows' unconstrained_rational_quadratic_spline, linear tails.
#include "../cpu/rq_spline_local.h"
#include "layer_common.cuh"
#include "specnet/cuda/rq_spline.h"

namespace specnet::cuda {
namespace {

using cpu::detail::Dual;

// softmax(u) over one element's K bins: p(i) = exp(u_i - max) / sum, the CPU kernel's order of operations.
template <typename T>
struct Softmax {
  const T* u;
  double mx, sum;
  __device__ Softmax(const T* u_in, std::int64_t K) : u(u_in), mx(double(u_in[0])), sum(0) {
    for (std::int64_t i = 1; i < K; ++i) mx = fmax(mx, double(u[i]));
    for (std::int64_t i = 0; i < K; ++i) sum += exp(double(u[i]) - mx);
  }
  __device__ double p(std::int64_t i) const { return exp(double(u[i]) - mx) / sum; }
};

// Knot positions loc[k] and loc[k + 1] on [-B, B]: loc[0] = -B, loc[j] = 2B cum_j - B, loc[K] = B, with
// cum_j = sum_{i < j} (min_size + (1 - min_size K) p_i) (end knots pinned as in nflows).
template <typename T>
__device__ void knot_pair(const Softmax<T>& sm, std::int64_t k, std::int64_t K, double min_size, double B, double& lo,
                          double& hi) {
  const double scale = 1 - min_size * double(K);
  double cum = 0, loc = -B;
  lo = loc;
  for (std::int64_t j = 1; j <= k + 1; ++j) {
    if (j == K) {
      loc = B;
    } else {
      cum += min_size + scale * sm.p(j - 1);
      loc = 2 * B * cum - B;
    }
    if (j == k) lo = loc;
  }
  hi = loc;
}

// The bin of x: the number of knots j with x >= loc[j] (loc[K] + kSearchEps for the last), minus one.
template <typename T>
__device__ std::int64_t search_bin(const Softmax<T>& sm, double x, std::int64_t K, double min_size, double B) {
  const double scale = 1 - min_size * double(K);
  double cum = 0;
  std::int64_t k = -1 + (x >= -B);
  for (std::int64_t j = 1; j < K; ++j) {
    cum += min_size + scale * sm.p(j - 1);
    k += x >= 2 * B * cum - B;
  }
  return k + (x >= B + cpu::detail::kSearchEps);
}

// Bin k of one element: left knot (xk, yk), width wk, height hk and the slopes dk, dk1 at its two knots.
struct Bin {
  double xk, wk, yk, hk, dk, dk1;
};
template <typename T>
__device__ Bin bin_of(const Softmax<T>& sw, const Softmax<T>& sh, const T* udi, std::int64_t k, std::int64_t K,
                      const RqSplineConfig& cfg, double edge) {
  double xk, xk1, yk, yk1;
  knot_pair(sw, k, K, cfg.min_bin_width, cfg.tail_bound, xk, xk1);
  knot_pair(sh, k, K, cfg.min_bin_height, cfg.tail_bound, yk, yk1);
  return {xk, xk1 - xk, yk, yk1 - yk, cpu::detail::slope_at(udi, k, K, cfg.min_derivative, edge),
          cpu::detail::slope_at(udi, k + 1, K, cfg.min_derivative, edge)};
}

template <typename T>
__global__ void rq_forward_kernel(T* out, T* logabsdet, std::int32_t* bin, const T* in, const T* uw, const T* uh,
                                  const T* ud, std::int64_t n, std::int64_t K, RqSplineConfig cfg, double edge) {
  const double B = cfg.tail_bound;
  SPECNET_CUDA_LOOP(i, n) {
    const double x = in[i];
    if (!(x >= -B && x <= B)) {  // identity tails (NaN inputs are refused by the op)
      out[i] = in[i];
      logabsdet[i] = 0;
      bin[i] = -1;
      continue;
    }
    const Softmax<T> sw(uw + i * K, K), sh(uh + i * K, K);
    const std::int64_t k =
        cfg.inverse ? search_bin(sh, x, K, cfg.min_bin_height, B) : search_bin(sw, x, K, cfg.min_bin_width, B);
    bin[i] = static_cast<std::int32_t>(k);
    const Bin q = bin_of(sw, sh, ud + i * (K - 1), k, K, cfg, edge);
    double y, ld;
    cpu::detail::local_spline<double, double>(y, ld, x, q.xk, q.wk, q.yk, q.hk, q.dk, q.dk1, cfg.inverse);
    out[i] = T(y);
    logabsdet[i] = T(ld);
  }
}

// du (K) += gradient through cumsum and softmax of knot-position gradients that are nonzero only at k (g_k) and
// k + 1 (g_k1): gp_i = (1 - min K) sum_{i < j < K} 2B gloc_j, du_i += p_i (gp_i - sum_j p_j gp_j) (CPU order).
template <typename T>
__device__ void knots_backward(T* du, const Softmax<T>& sm, std::int64_t k, double g_k, double g_k1, std::int64_t K,
                               double min_size, double B) {
  const double scale = 1 - min_size * double(K);
  auto gp = [&](std::int64_t i) {
    double run = 0;
    if (k + 1 <= K - 1 && k + 1 >= i + 1) run += 2 * B * g_k1;
    if (k >= i + 1 && k <= K - 1) run += 2 * B * g_k;
    return scale * run;
  };
  double dot = 0;
  for (std::int64_t i = 0; i < K; ++i) dot += sm.p(i) * gp(i);
  for (std::int64_t i = 0; i < K; ++i) du[i] += T(sm.p(i) * (gp(i) - dot));
}

template <typename T>
__global__ void rq_backward_kernel(T* din, T* duw, T* duh, T* dud, const T* dout, const T* dlogabsdet,
                                   const std::int32_t* bin, const T* in, const T* uw, const T* uh, const T* ud,
                                   std::int64_t n, std::int64_t K, RqSplineConfig cfg, double edge) {
  using D = Dual<double, 7>;
  const double B = cfg.tail_bound;
  SPECNET_CUDA_LOOP(i, n) {
    const std::int64_t k = bin[i];
    if (k < 0) {
      if (din) din[i] += dout[i];
      continue;
    }
    const Softmax<T> sw(uw + i * K, K), sh(uh + i * K, K);
    const T* udi = ud + i * (K - 1);
    const Bin q = bin_of(sw, sh, udi, k, K, cfg, edge);
    // Tangent directions: 0 x, 1 xk, 2 wk, 3 yk, 4 hk, 5 dk, 6 dk1.
    D y, ld;
    cpu::detail::local_spline<D, double>(y, ld, D::variable(in[i], 0), D::variable(q.xk, 1), D::variable(q.wk, 2),
                                         D::variable(q.yk, 3), D::variable(q.hk, 4), D::variable(q.dk, 5),
                                         D::variable(q.dk1, 6), cfg.inverse);
    double g[7];
    for (int j = 0; j < 7; ++j) g[j] = double(dout[i]) * y.g[j] + double(dlogabsdet[i]) * ld.g[j];
    if (din) din[i] += T(g[0]);
    if (duw) knots_backward(duw + i * K, sw, k, g[1] - g[2], g[2], K, cfg.min_bin_width, B);
    if (duh) knots_backward(duh + i * K, sh, k, g[3] - g[4], g[4], K, cfg.min_bin_height, B);
    // Only the bin's two slopes were used; the end knots' slopes are constants.
    for (int e = 0; e < 2 && dud; ++e) {
      const std::int64_t j = k + e;
      if (j > 0 && j < K) dud[i * (K - 1) + j - 1] += T(g[5 + e] * cpu::detail::softplus_grad(double(udi[j - 1])));
    }
  }
}

// flag |= 1 << a for each argument a holding a NaN or infinity (integer OR: order-free, deterministic).
template <typename T>
__global__ void nonfinite_kernel(int* flag, const T* in, const T* uw, const T* uh, const T* ud, std::int64_t n,
                                 std::int64_t K) {
  int bits = 0;
  SPECNET_CUDA_LOOP(i, n * K) {
    if (i < n && !isfinite(in[i])) bits |= 1;
    if (!isfinite(uw[i])) bits |= 2;
    if (!isfinite(uh[i])) bits |= 4;
    if (i < n * (K - 1) && !isfinite(ud[i])) bits |= 8;
  }
  if (bits) atomicOr(flag, bits);
}

}  // namespace

template <typename T>
void rq_spline_forward(T* out, T* logabsdet, std::int32_t* bin, const T* in, const T* uw, const T* uh, const T* ud,
                       std::int64_t n, std::int64_t K, const RqSplineConfig& cfg) {
  if (n == 0) return;
  rq_forward_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(out, logabsdet, bin, in, uw, uh, ud, n, K, cfg,
                                                              cpu::detail::edge_slope(cfg.min_derivative));
  SPECNET_CUDA_CHECK_LAUNCH("rq_forward_kernel");
}

template <typename T>
void rq_spline_backward(T* din, T* duw, T* duh, T* dud, const T* dout, const T* dlogabsdet, const std::int32_t* bin,
                        const T* in, const T* uw, const T* uh, const T* ud, std::int64_t n, std::int64_t K,
                        const RqSplineConfig& cfg) {
  if (n == 0) return;
  rq_backward_kernel<<<blocks_for(n), kThreads, 0, stream()>>>(din, duw, duh, dud, dout, dlogabsdet, bin, in, uw, uh,
                                                               ud, n, K, cfg,
                                                               cpu::detail::edge_slope(cfg.min_derivative));
  SPECNET_CUDA_CHECK_LAUNCH("rq_backward_kernel");
}

template <typename T>
int rq_spline_nonfinite(const T* in, const T* uw, const T* uh, const T* ud, std::int64_t n, std::int64_t K) {
  if (n == 0) return 0;
  detail::Workspace<int> flag(1);
  SPECNET_CUDA_CHECK(cudaMemsetAsync(flag.get(), 0, sizeof(int), stream()));
  nonfinite_kernel<<<blocks_for(n * K), kThreads, 0, stream()>>>(flag.get(), in, uw, uh, ud, n, K);
  SPECNET_CUDA_CHECK_LAUNCH("nonfinite_kernel");
  int bits = 0;
  copy_to_host(&bits, flag.get(), sizeof(int));  // waits for the kernel
  return bits;
}

#define SPECNET_INSTANTIATE(T)                                                                                     \
  template void rq_spline_forward<T>(T*, T*, std::int32_t*, const T*, const T*, const T*, const T*, std::int64_t,  \
                                     std::int64_t, const RqSplineConfig&);                                         \
  template void rq_spline_backward<T>(T*, T*, T*, T*, const T*, const T*, const std::int32_t*, const T*, const T*, \
                                      const T*, const T*, std::int64_t, std::int64_t, const RqSplineConfig&);      \
  template int rq_spline_nonfinite<T>(const T*, const T*, const T*, const T*, std::int64_t, std::int64_t);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cuda
