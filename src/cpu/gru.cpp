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

// The input projection gi = x W_ih^T + b_ih, R rows: for the decoder's tiny widths (I <= 2 inputs, 3 gates) a GEMM
// call is mostly packing and dispatch (a third of the GRU's time at hidden 1), so small shapes take plain loops.
constexpr std::int64_t kSmallRowsChunk = 4096;  // rows per task of the projection backward; fixed for determinism

bool small_projection(std::int64_t I, std::int64_t G) { return I <= 8 && G <= 24; }

template <typename T>
void projection_forward(T* gi, const T* x, const T* w_ih, const T* b_ih, std::int64_t R, std::int64_t I,
                        std::int64_t G) {
  if (!small_projection(I, G)) return linear_forward<T>(gi, x, w_ih, b_ih, R, I, G);
  parallel_for(R, kSmallRowsChunk, [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t k = 0; k < G; ++k) {
        T acc = b_ih ? b_ih[k] : T(0);
        for (std::int64_t i = 0; i < I; ++i) acc += w_ih[k * I + i] * x[r * I + i];
        gi[r * G + k] = acc;
      }
  });
}

// Accumulates dx (R, I), dw_ih (G, I), db_ih (G) from dgi (R, G); per-chunk partials summed in chunk order.
template <typename T>
void projection_backward(T* dx, T* dw_ih, T* db_ih, const T* dgi, const T* x, const T* w_ih, std::int64_t R,
                         std::int64_t I, std::int64_t G) {
  if (!small_projection(I, G)) return linear_backward<T>(dx, dw_ih, db_ih, dgi, x, w_ih, R, I, G);
  const std::int64_t chunks = (R + kSmallRowsChunk - 1) / kSmallRowsChunk, P = G * I + G;
  std::vector<T> part(static_cast<std::size_t>(chunks * P), T(0));  // (chunks, G I + G): dW_ih then db_ih
  parallel_for(R, kSmallRowsChunk, [&](std::int64_t r0, std::int64_t r1) {
    T local[8 * 24 + 24] = {};  // the chunk's sums, copied out once (no shared cache lines while summing)
    for (std::int64_t r = r0; r < r1; ++r)
      for (std::int64_t k = 0; k < G; ++k) {
        const T g = dgi[r * G + k];
        for (std::int64_t i = 0; i < I; ++i) {
          if (dx) dx[r * I + i] += g * w_ih[k * I + i];
          local[k * I + i] += g * x[r * I + i];
        }
        local[G * I + k] += g;
      }
    std::copy(local, local + P, part.data() + (r0 / kSmallRowsChunk) * P);
  });
  for (std::int64_t c = 0; c < chunks; ++c) {
    if (dw_ih)
      for (std::int64_t k = 0; k < G * I; ++k) dw_ih[k] += part[c * P + k];
    if (db_ih)
      for (std::int64_t k = 0; k < G; ++k) db_ih[k] += part[c * P + G * I + k];
  }
}

// Hidden size 1 (the paper's decoder GRU): each step is a handful of scalar operations on one serial chain per row,
// so rows advance through time together, kLanes of them in one SIMD register (a lane each): the independent chains
// overlap and the sigmoid / tanh run as Eigen packet math. Lane groups are fixed by row index (rows g W .. g W + W-1),
// so results do not depend on the thread count.
template <typename T>
constexpr std::int64_t kLanes = 64 / sizeof(T);  // one AVX-512 register
template <typename T>
using Lanes = Eigen::Array<T, kLanes<T>, 1>;

// Loads v[l] = src[(b0 + l) * stride] for the n valid lanes, zero beyond.
template <typename T>
inline void load_lanes(Lanes<T>& v, const T* src, std::int64_t stride, std::int64_t n) {
  for (std::int64_t l = 0; l < kLanes<T>; ++l) v[l] = l < n ? src[l * stride] : T(0);
}
template <typename T>
inline void store_lanes(T* dst, std::int64_t stride, const Lanes<T>& v, std::int64_t n) {
  for (std::int64_t l = 0; l < n; ++l) dst[l * stride] = v[l];
}

// gi (B, L, 3): the input projections; out (B, L, 1), gates (B, L, 4) as gru_forward.
template <typename T>
void gru_forward_h1(T* out, T* gates, const T* gi, const T* h0, const T* w_hh, const T* b_hh, std::int64_t B,
                    std::int64_t L, bool reverse) {
  constexpr std::int64_t W = kLanes<T>;
  const T w_r = w_hh[0], w_z = w_hh[1], w_n = w_hh[2];
  const T c_r = b_hh ? b_hh[0] : T(0), c_z = b_hh ? b_hh[1] : T(0), c_n = b_hh ? b_hh[2] : T(0);
  parallel_for((B + W - 1) / W, 1, [&](std::int64_t g0, std::int64_t g1) {
    Lanes<T> h, a_r, a_z, a_n;
    for (std::int64_t g = g0; g < g1; ++g) {
      const std::int64_t b0 = g * W, n_rows = std::min(W, B - b0);
      if (h0) load_lanes(h, h0 + b0, 1, n_rows);
      else h.setZero();
      for (std::int64_t s = 0; s < L; ++s) {
        const std::int64_t t = reverse ? L - 1 - s : s, row = b0 * L + t;  // (b0, t); lane l is row + l L
        load_lanes(a_r, gi + row * 3, 3 * L, n_rows);
        load_lanes(a_z, gi + row * 3 + 1, 3 * L, n_rows);
        load_lanes(a_n, gi + row * 3 + 2, 3 * L, n_rows);
        const Lanes<T> r = T(1) / (T(1) + (-(a_r + (c_r + w_r * h))).exp());
        const Lanes<T> z = T(1) / (T(1) + (-(a_z + (c_z + w_z * h))).exp());
        const Lanes<T> hn = c_n + w_n * h;
        const Lanes<T> nn = (a_n + r * hn).tanh();
        h = (T(1) - z) * nn + z * h;
        store_lanes(gates + row * 4, 4 * L, r, n_rows);
        store_lanes(gates + row * 4 + 1, 4 * L, z, n_rows);
        store_lanes(gates + row * 4 + 2, 4 * L, nn, n_rows);
        store_lanes(gates + row * 4 + 3, 4 * L, hn, n_rows);
        store_lanes(out + row, L, h, n_rows);
      }
    }
  });
}

// Backward of gru_forward_h1: dgi (B, L, 3) written; dh0 accumulated; part_w / part_b (groups, 3) get each lane
// group's dW_hh / db_hh, its lanes summed in row order.
template <typename T>
void gru_backward_h1(T* dgi, T* dh0, T* part_w, T* part_b, const T* dout, const T* out, const T* gates, const T* h0,
                     const T* w_hh, std::int64_t B, std::int64_t L, bool reverse) {
  constexpr std::int64_t W = kLanes<T>;
  const T w_r = w_hh[0], w_z = w_hh[1], w_n = w_hh[2];
  parallel_for((B + W - 1) / W, 1, [&](std::int64_t g0, std::int64_t g1) {
    Lanes<T> h_prev, r, z, nn, hn, d_out;
    for (std::int64_t g = g0; g < g1; ++g) {
      const std::int64_t b0 = g * W, n_rows = std::min(W, B - b0);
      Lanes<T> dh = Lanes<T>::Zero(), pw_r = dh, pw_z = dh, pw_n = dh, pb_r = dh, pb_z = dh, pb_n = dh;
      for (std::int64_t s = L - 1; s >= 0; --s) {
        const std::int64_t t = reverse ? L - 1 - s : s, t_prev = reverse ? t + 1 : t - 1, row = b0 * L + t;
        if (s > 0) load_lanes(h_prev, out + b0 * L + t_prev, L, n_rows);
        else if (h0) load_lanes(h_prev, h0 + b0, 1, n_rows);
        else h_prev.setZero();
        load_lanes(r, gates + row * 4, 4 * L, n_rows);
        load_lanes(z, gates + row * 4 + 1, 4 * L, n_rows);
        load_lanes(nn, gates + row * 4 + 2, 4 * L, n_rows);
        load_lanes(hn, gates + row * 4 + 3, 4 * L, n_rows);
        load_lanes(d_out, dout + row, L, n_rows);
        dh += d_out;
        const Lanes<T> dn = dh * (T(1) - z) * (T(1) - nn * nn);  // through tanh
        const Lanes<T> dz = dh * (h_prev - nn) * z * (T(1) - z);
        const Lanes<T> dr = dn * hn * r * (T(1) - r);
        store_lanes(dgi + row * 3, 3 * L, dr, n_rows);
        store_lanes(dgi + row * 3 + 1, 3 * L, dz, n_rows);
        store_lanes(dgi + row * 3 + 2, 3 * L, dn, n_rows);
        const Lanes<T> dhn = dn * r;
        dh *= z;  // the direct path h' = ... + z h
        dh += w_r * dr;  // W_hh^T dgh, in gate order as the general path
        dh += w_z * dz;
        dh += w_n * dhn;
        pw_r += dr * h_prev, pw_z += dz * h_prev, pw_n += dhn * h_prev;
        pb_r += dr, pb_z += dz, pb_n += dhn;
      }
      if (dh0)
        for (std::int64_t l = 0; l < n_rows; ++l) dh0[b0 + l] += dh[l];
      T sums[6] = {0, 0, 0, 0, 0, 0};
      for (std::int64_t l = 0; l < n_rows; ++l) {  // lane (row) order
        sums[0] += pw_r[l], sums[1] += pw_z[l], sums[2] += pw_n[l];
        sums[3] += pb_r[l], sums[4] += pb_z[l], sums[5] += pb_n[l];
      }
      std::copy(sums, sums + 3, part_w + g * 3);
      std::copy(sums + 3, sums + 6, part_b + g * 3);
    }
  });
}

}  // namespace

template <typename T>
void gru_forward(T* out, T* gates, const T* x, const T* h0, const T* w_ih, const T* w_hh, const T* b_ih,
                 const T* b_hh, std::int64_t B, std::int64_t L, std::int64_t I, std::int64_t H, bool reverse) {
  const std::int64_t G = 3 * H;
  std::vector<T> gi(static_cast<std::size_t>(B * L * G));  // (B, L, 3H): W_ih x + b_ih for every step
  projection_forward<T>(gi.data(), x, w_ih, b_ih, B * L, I, G);
  if (H == 1) return gru_forward_h1<T>(out, gates, gi.data(), h0, w_hh, b_hh, B, L, reverse);
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
  const std::int64_t G = 3 * H;
  const std::int64_t chunks = H == 1 ? (B + kLanes<T> - 1) / kLanes<T> : (B + kBatchChunk - 1) / kBatchChunk;
  std::vector<T> dgi(static_cast<std::size_t>(B * L * G));  // (B, L, 3H): gradient of the input projections
  std::vector<T> part_w(static_cast<std::size_t>(chunks * G * H), T(0));  // (chunks, 3H, H)
  std::vector<T> part_b(static_cast<std::size_t>(chunks * G), T(0));      // (chunks, 3H)
  if (H == 1) gru_backward_h1<T>(dgi.data(), dh0, part_w.data(), part_b.data(), dout, out, gates, h0, w_hh, B, L, reverse);
  else parallel_for(B, kBatchChunk, [&](std::int64_t b0, std::int64_t b1) {
    const std::int64_t c = b0 / kBatchChunk;
    // The chunk's sums build up in task-local memory and are copied out once: accumulated in place, neighbouring
    // chunks' 3H x H partials share cache lines at small H, and the threads' stores on every step made 2 threads
    // slower than one (false sharing).
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
  projection_backward<T>(dx, dw_ih, db_ih, dgi.data(), x, w_ih, B * L, I, G);
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
