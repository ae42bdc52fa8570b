// Fused GRU layer: input projections for all steps in one GEMM, then the recurrence per batch row with the
// gates saved; backward through time reuses them (torch.nn.GRU's equations and gate order r, z, n).
#include "specnet/cpu/gru.h"

#include <Eigen/Core>
#include <cmath>
#include <vector>

#include "specnet/context.h"
#include "specnet/cpu/linear.h"

namespace specnet::cpu {
namespace {

constexpr std::int64_t kBatchChunk = 8;  // rows per task; fixed so that partial sums do not depend on threads

template <typename T>
using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <typename T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

template <typename T>
T sigmoid(T v) {
  return T(1) / (T(1) + std::exp(-v));
}

}  // namespace

template <typename T>
void gru_forward(T* out, T* gates, const T* x, const T* h0, const T* w_ih, const T* w_hh, const T* b_ih,
                 const T* b_hh, std::int64_t B, std::int64_t L, std::int64_t I, std::int64_t H, bool reverse) {
  const std::int64_t G = 3 * H;
  std::vector<T> gi(static_cast<std::size_t>(B * L * G));  // (B, L, 3H): W_ih x + b_ih for every step
  linear_forward<T>(gi.data(), x, w_ih, b_ih, B * L, I, G);
  parallel_for(B, kBatchChunk, [&](std::int64_t b0, std::int64_t b1) {
    Vec<T> gh(G), zero = Vec<T>::Zero(H);
    for (std::int64_t b = b0; b < b1; ++b) {
      const T* h_prev = h0 ? h0 + b * H : zero.data();
      for (std::int64_t s = 0; s < L; ++s) {
        const std::int64_t t = reverse ? L - 1 - s : s;
        for (std::int64_t k = 0; k < G; ++k) {  // gh = W_hh h + b_hh; plain loops: H is often tiny (1 in the paper)
          T acc = b_hh ? b_hh[k] : T(0);
          for (std::int64_t j = 0; j < H; ++j) acc += w_hh[k * H + j] * h_prev[j];
          gh[k] = acc;
        }
        const T* a = gi.data() + (b * L + t) * G;
        T* g = gates + (b * L + t) * 4 * H;  // r, z, n, hn
        T* h = out + (b * L + t) * H;
        for (std::int64_t j = 0; j < H; ++j) {
          const T r = sigmoid(a[j] + gh[j]), z = sigmoid(a[H + j] + gh[H + j]), hn = gh[2 * H + j];
          const T n = std::tanh(a[2 * H + j] + r * hn);
          g[j] = r, g[H + j] = z, g[2 * H + j] = n, g[3 * H + j] = hn;
          h[j] = (T(1) - z) * n + z * h_prev[j];
        }
        h_prev = h;
      }
    }
  });
}

template <typename T>
void gru_backward(T* dx, T* dh0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, const T* dout, const T* out, const T* gates,
                  const T* x, const T* h0, const T* w_ih, const T* w_hh, std::int64_t B, std::int64_t L,
                  std::int64_t I, std::int64_t H, bool reverse) {
  const std::int64_t G = 3 * H, chunks = (B + kBatchChunk - 1) / kBatchChunk;
  std::vector<T> dgi(static_cast<std::size_t>(B * L * G));  // (B, L, 3H): gradient of the input projections
  std::vector<T> part_w(static_cast<std::size_t>(chunks * G * H), T(0));  // (chunks, 3H, H)
  std::vector<T> part_b(static_cast<std::size_t>(chunks * G), T(0));      // (chunks, 3H)
  parallel_for(B, kBatchChunk, [&](std::int64_t b0, std::int64_t b1) {
    const std::int64_t c = b0 / kBatchChunk;
    // The chunk's sums build up in task-local memory and are copied out once: accumulated in place, neighbouring
    // chunks' 3H x H partials share cache lines (12 bytes apart at H = 1) and the threads' stores on every step
    // made this loop ~10x slower (false sharing). Same additions in the same order, so the same bits.
    Mat<T> pw = Mat<T>::Zero(G, H);
    Vec<T> pb = Vec<T>::Zero(G);
    Vec<T> dh(H), dgh(G), zero = Vec<T>::Zero(H);
    for (std::int64_t b = b0; b < b1; ++b) {
      dh.setZero();
      for (std::int64_t s = L - 1; s >= 0; --s) {
        const std::int64_t t = reverse ? L - 1 - s : s, t_prev = reverse ? t + 1 : t - 1;
        const T* h_prev = s > 0 ? out + (b * L + t_prev) * H : (h0 ? h0 + b * H : zero.data());
        const T* g = gates + (b * L + t) * 4 * H;
        T* da = dgi.data() + (b * L + t) * G;
        dh += Eigen::Map<const Vec<T>>(dout + (b * L + t) * H, H);
        for (std::int64_t j = 0; j < H; ++j) {
          const T r = g[j], z = g[H + j], n = g[2 * H + j], hn = g[3 * H + j];
          const T dn = dh[j] * (T(1) - z) * (T(1) - n * n);  // through tanh
          const T dz = dh[j] * (h_prev[j] - n) * z * (T(1) - z);
          const T dr = dn * hn * r * (T(1) - r);
          da[j] = dr, da[H + j] = dz, da[2 * H + j] = dn;
          dgh[j] = dr, dgh[H + j] = dz, dgh[2 * H + j] = dn * r;
          dh[j] *= z;  // the direct path h' = ... + z h
        }
        for (std::int64_t k = 0; k < G; ++k) {  // dh += W_hh^T dgh; dW_hh += dgh h_prev^T; db_hh += dgh
          const T gk = dgh[k];
          for (std::int64_t j = 0; j < H; ++j) {
            dh[j] += w_hh[k * H + j] * gk;
            pw(k, j) += gk * h_prev[j];
          }
          pb[k] += gk;
        }
      }
      if (dh0) Eigen::Map<Vec<T>>(dh0 + b * H, H) += dh;
    }
    Eigen::Map<Mat<T>>(part_w.data() + c * G * H, G, H) = pw;
    Eigen::Map<Vec<T>>(part_b.data() + c * G, G) = pb;
  });
  for (std::int64_t c = 0; c < chunks; ++c) {  // chunk order: deterministic for any thread count
    if (dw_hh)
      for (std::int64_t k = 0; k < G * H; ++k) dw_hh[k] += part_w[c * G * H + k];
    if (db_hh)
      for (std::int64_t k = 0; k < G; ++k) db_hh[k] += part_b[c * G + k];
  }
  linear_backward<T>(dx, dw_ih, db_ih, dgi.data(), x, w_ih, B * L, I, G);
}

#define SPECNET_INSTANTIATE(T)                                                                                      \
  template void gru_forward<T>(T*, T*, const T*, const T*, const T*, const T*, const T*, const T*, std::int64_t,    \
                               std::int64_t, std::int64_t, std::int64_t, bool);                                     \
  template void gru_backward<T>(T*, T*, T*, T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*, \
                                const T*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cpu
