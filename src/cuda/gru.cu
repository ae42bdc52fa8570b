// Fused GRU layer on the GPU: the input projections of all steps in one cuBLAS GEMM, then the whole recurrence in
// one kernel (a thread group per batch row steps through time with h in shared memory; torch.nn.GRU's equations and
// gate order r, z, n). Backward through time likewise, with the weight gradients as GEMMs over all steps.
#include "layer_common.cuh"
#include "specnet/cuda/gru.h"
#include "specnet/cuda/linear.h"

namespace specnet::cuda {
namespace {

constexpr int kBlock = 128;                  // threads per block: rows x threads-per-row
constexpr std::size_t kMaxSmem = 48 * 1024;  // default dynamic shared-memory limit per block

__device__ inline float exp_t(float v) { return expf(v); }
__device__ inline double exp_t(double v) { return exp(v); }
__device__ inline float tanh_t(float v) { return tanhf(v); }
__device__ inline double tanh_t(double v) { return tanh(v); }
template <typename T>
__device__ T sigmoid(T v) {
  return T(1) / (T(1) + exp_t(-v));
}

// Each batch row gets `tpr` threads (a power of two up to the block, covering H when it can); a block holds
// kBlock / tpr rows. Thread `lane` of a row owns hidden units lane, lane + tpr, ...
struct RowLayout {
  int tpr, rows;
  unsigned blocks;
};
RowLayout row_layout(std::int64_t B, std::int64_t H) {
  int tpr = 1;
  while (tpr < H && tpr < kBlock) tpr *= 2;
  const int rows = kBlock / tpr;
  const std::int64_t blocks = (B + rows - 1) / rows;
  SPECNET_CHECK(blocks <= INT_MAX, "gru_layer (cuda): batch ", B, " is too large");
  return {tpr, rows, static_cast<unsigned>(blocks)};
}

// gi (B, L, 3H) = W_ih x + b_ih. -> out (B, L, H), gates (B, L, 4H) = r, z, n, W_hn h + b_hn.
// Shared memory: h of every row of the block, double-buffered (2, rows, H).
template <typename T>
__global__ void gru_forward_kernel(T* out, T* gates, const T* gi, const T* h0, const T* w_hh, const T* b_hh,
                                   std::int64_t B, std::int64_t L, std::int64_t H, bool reverse, int tpr) {
  extern __shared__ unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);
  const int rows = blockDim.x / tpr, row = threadIdx.x / tpr, lane = threadIdx.x % tpr;
  const std::int64_t b = blockIdx.x * std::int64_t(rows) + row, G = 3 * H;
  const bool valid = b < B;
  T* cur = smem + row * H;
  T* nxt = smem + (rows + row) * H;
  for (std::int64_t j = lane; j < H; j += tpr) cur[j] = (valid && h0) ? h0[b * H + j] : T(0);
  __syncthreads();
  for (std::int64_t s = 0; s < L; ++s) {
    const std::int64_t t = reverse ? L - 1 - s : s;
    if (valid) {
      const T* a = gi + (b * L + t) * G;
      T* g = gates + (b * L + t) * 4 * H;
      T* h = out + (b * L + t) * H;
      for (std::int64_t j = lane; j < H; j += tpr) {
        // W_hh h + b_hh for the three gates of unit j, summed in the CPU kernel's order.
        T hr = b_hh ? b_hh[j] : T(0), hz = b_hh ? b_hh[H + j] : T(0), hn = b_hh ? b_hh[2 * H + j] : T(0);
        for (std::int64_t i = 0; i < H; ++i) {
          const T hi = cur[i];
          hr += w_hh[j * H + i] * hi;
          hz += w_hh[(H + j) * H + i] * hi;
          hn += w_hh[(2 * H + j) * H + i] * hi;
        }
        const T r = sigmoid(a[j] + hr), z = sigmoid(a[H + j] + hz);
        const T n = tanh_t(a[2 * H + j] + r * hn);
        g[j] = r, g[H + j] = z, g[2 * H + j] = n, g[3 * H + j] = hn;
        const T hj = (T(1) - z) * n + z * cur[j];
        nxt[j] = hj;
        h[j] = hj;
      }
    }
    __syncthreads();
    T* tmp = cur;
    cur = nxt;
    nxt = tmp;
  }
}

// Backward through time for one direction. -> dgi (B, L, 3H): gradient of the input projections (dr, dz, dn);
// dgh (B, L, 3H): of W_hh h + b_hh (dr, dz, dn r); hprev (B, L, H): the state each step read (for dW_hh);
// dh0 (B, H) += the initial state's gradient. Shared memory: dh (rows, H) and this step's dgh (rows, 3H).
template <typename T>
__global__ void gru_backward_kernel(T* dgi, T* dgh, T* hprev, T* dh0, const T* dout, const T* out, const T* gates,
                                    const T* h0, const T* w_hh, std::int64_t B, std::int64_t L, std::int64_t H,
                                    bool reverse, int tpr) {
  extern __shared__ unsigned char smem_raw[];
  T* smem = reinterpret_cast<T*>(smem_raw);
  const int rows = blockDim.x / tpr, row = threadIdx.x / tpr, lane = threadIdx.x % tpr;
  const std::int64_t b = blockIdx.x * std::int64_t(rows) + row, G = 3 * H;
  const bool valid = b < B;
  T* dh = smem + row * H;
  T* dg = smem + rows * H + row * G;
  for (std::int64_t j = lane; j < H; j += tpr) dh[j] = T(0);
  __syncthreads();
  for (std::int64_t s = L - 1; s >= 0; --s) {
    const std::int64_t t = reverse ? L - 1 - s : s, t_prev = reverse ? t + 1 : t - 1;
    if (valid) {
      const T* hp = s > 0 ? out + (b * L + t_prev) * H : (h0 ? h0 + b * H : nullptr);
      const T* g = gates + (b * L + t) * 4 * H;
      T* da = dgi + (b * L + t) * G;
      T* dgg = dgh + (b * L + t) * G;
      for (std::int64_t j = lane; j < H; j += tpr) {
        const T hpj = hp ? hp[j] : T(0);
        hprev[(b * L + t) * H + j] = hpj;
        const T d = dh[j] + dout[(b * L + t) * H + j];
        const T r = g[j], z = g[H + j], n = g[2 * H + j], hn = g[3 * H + j];
        const T dn = d * (T(1) - z) * (T(1) - n * n);  // through tanh
        const T dz = d * (hpj - n) * z * (T(1) - z);
        const T dr = dn * hn * r * (T(1) - r);
        da[j] = dr, da[H + j] = dz, da[2 * H + j] = dn;
        dg[j] = dr, dg[H + j] = dz, dg[2 * H + j] = dn * r;
        dgg[j] = dr, dgg[H + j] = dz, dgg[2 * H + j] = dn * r;
        dh[j] = d * z;  // the direct path h' = ... + z h
      }
    }
    __syncthreads();
    if (valid)
      for (std::int64_t j = lane; j < H; j += tpr) {  // dh += W_hh^T dgh, in k order
        T acc = dh[j];
        for (std::int64_t k = 0; k < G; ++k) acc += w_hh[k * H + j] * dg[k];
        dh[j] = acc;
      }
    __syncthreads();
  }
  if (valid && dh0)
    for (std::int64_t j = lane; j < H; j += tpr) dh0[b * H + j] += dh[j];
}

// Shared memory of `per_unit` values per hidden unit and batch row of a block.
template <typename T>
std::size_t smem_bytes(const RowLayout& r, std::int64_t H, std::int64_t per_unit) {
  const std::size_t bytes = static_cast<std::size_t>(r.rows * H * per_unit) * sizeof(T);
  SPECNET_CHECK(bytes <= kMaxSmem, "gru_layer (cuda): hidden size ", H,
                " needs more shared memory than the fused kernel may use (", bytes, " > ", kMaxSmem, " bytes)");
  return bytes;
}

}  // namespace

template <typename T>
void gru_forward(T* out, T* gates, const T* x, const T* h0, const T* w_ih, const T* w_hh, const T* b_ih, const T* b_hh,
                 std::int64_t B, std::int64_t L, std::int64_t I, std::int64_t H, bool reverse) {
  if (B * L * H == 0) return;
  const std::int64_t G = 3 * H;
  detail::Workspace<T> gi_buf(B * L * G);  // (B, L, 3H): W_ih x + b_ih for every step
  T* gi = gi_buf.get();
  linear_forward<T>(gi, x, w_ih, b_ih, B * L, I, G);
  const RowLayout r = row_layout(B, H);
  const std::size_t smem = smem_bytes<T>(r, H, 2);  // h double-buffered: (2, rows, H)
  gru_forward_kernel<<<r.blocks, r.rows * r.tpr, smem, stream()>>>(out, gates, gi, h0, w_hh, b_hh, B, L, H, reverse,
                                                                   r.tpr);
  SPECNET_CUDA_CHECK_LAUNCH("gru_forward_kernel");
}

template <typename T>
void gru_backward(T* dx, T* dh0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, const T* dout, const T* out, const T* gates,
                  const T* x, const T* h0, const T* w_ih, const T* w_hh, std::int64_t B, std::int64_t L, std::int64_t I,
                  std::int64_t H, bool reverse) {
  if (B * L * H == 0) return;
  const std::int64_t G = 3 * H, BL = B * L;
  detail::Workspace<T> dgi_buf(BL * G), dgh_buf(BL * G), hprev_buf(BL * H);  // (B, L, 3H), (B, L, 3H), (B, L, H)
  T *dgi = dgi_buf.get(), *dgh = dgh_buf.get(), *hprev = hprev_buf.get();
  const RowLayout r = row_layout(B, H);
  const std::size_t smem = smem_bytes<T>(r, H, 4);  // dh (rows, H) + dgh (rows, 3H)
  gru_backward_kernel<<<r.blocks, r.rows * r.tpr, smem, stream()>>>(dgi, dgh, hprev, dh0, dout, out, gates, h0, w_hh, B,
                                                                    L, H, reverse, r.tpr);
  SPECNET_CUDA_CHECK_LAUNCH("gru_backward_kernel");
  // dW_hh (3H, H) += dgh^T (3H, B L) hprev (B L, H); db_hh (3H) += column sums of dgh.
  if (dw_hh) detail::gemm<T>(true, false, G, H, BL, T(1), dgh, G, hprev, H, T(1), dw_hh, H);
  if (db_hh) detail::add_channel_sums(db_hh, dgh, BL, G, std::int64_t(1));
  linear_backward<T>(dx, dw_ih, db_ih, dgi, x, w_ih, BL, I, G);
}

#define SPECNET_INSTANTIATE(T)                                                                                      \
  template void gru_forward<T>(T*, T*, const T*, const T*, const T*, const T*, const T*, const T*, std::int64_t,    \
                               std::int64_t, std::int64_t, std::int64_t, bool);                                     \
  template void gru_backward<T>(T*, T*, T*, T*, T*, T*, const T*, const T*, const T*, const T*, const T*, const T*, \
                                const T*, std::int64_t, std::int64_t, std::int64_t, std::int64_t, bool);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cuda
