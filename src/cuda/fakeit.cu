// fakeit on the GPU: priors -> tbabs x (apec/powerlaw) photons -> sparse response fold -> + background ->
// Poisson counts, each stage one kernel over a batch; reproduces sim::simulate_block (XSPEC fakeit) stream by stream.
#include "specnet/cuda/fakeit.h"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>

#include "specnet/cuda/kernel.cuh"
#include "specnet/error.h"
#include "specnet/philox.h"
#include "specnet/sim/apec.h"
#include "specnet/sim/fakeit_plan.h"

// Per-thread code is __host__ __device__ so that detail::emulate_simulate_block can run it on the CPU.
#define SPECNET_HD __host__ __device__

namespace specnet::cuda {
namespace {

// a * b and a + b rounded separately (never fused), where the CPU code stores the product first.
SPECNET_HD inline double mul_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
SPECNET_HD inline double add_rn(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dadd_rn(a, b);
#else
  return a + b;
#endif
}
SPECNET_HD inline void raise_flag(int* status, int flag) {
#ifdef __CUDA_ARCH__
  atomicOr(status, flag);
#else
  *status |= flag;
#endif
}
SPECNET_HD inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

// ---------------------------------------------------------------------------------------------------------
// Device memory

// A typed buffer from the caching device allocator; uploads run on the specnet stream.
template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  ~DeviceArray() { release(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;

  void resize(std::size_t n) {
    if (n == n_) return;
    release();
    if (n > 0) p_ = static_cast<T*>(device_alloc(n * sizeof(T)));
    n_ = n;
  }
  void upload(const T* host, std::size_t n) {
    resize(n);
    if (n > 0) copy_to_device(p_, host, n * sizeof(T));
  }
  void upload(const std::vector<T>& host) { upload(host.data(), host.size()); }
  T* get() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  void release() {
    if (p_) device_free(p_, n_ * sizeof(T));
    p_ = nullptr;
    n_ = 0;
  }
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

template <typename To, typename From>
std::vector<To> narrow(const std::vector<From>& v) {
  std::vector<To> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<To>(v[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Random numbers: the device twins of specnet::philox4x32, u32_to_unit and sim::UniformStream.

SPECNET_HD inline uint4 philox4x32(unsigned long long index, unsigned long long stream, unsigned long long key) {
  const PhiloxWords w = philox4x32_10(static_cast<unsigned>(index), static_cast<unsigned>(index >> 32),
                                      static_cast<unsigned>(stream), static_cast<unsigned>(stream >> 32),
                                      static_cast<unsigned>(key), static_cast<unsigned>(key >> 32));
  return make_uint4(w.w0, w.w1, w.w2, w.w3);
}

SPECNET_HD inline double u32_to_unit(unsigned a, unsigned b) { return philox_unit(a, b); }

// Two uniforms per Philox block, in order, as sim::UniformStream.
struct Uniforms {
  unsigned long long seed, stream, index = 0;
  double u0 = 0, u1 = 0;
  int used = 2;
  SPECNET_HD Uniforms(unsigned long long s, unsigned long long st) : seed(s), stream(st) {}
  SPECNET_HD double next() {
    if (used == 2) {
      const uint4 b = philox4x32(index++, stream, seed);
      u0 = u32_to_unit(b.x, b.y);
      u1 = u32_to_unit(b.z, b.w);
      used = 0;
    }
    return used++ == 0 ? u0 : u1;
  }
};

// ---------------------------------------------------------------------------------------------------------
// Poisson sampling: the device twin of src/sim/poisson.cpp (inversion below 10, PTRS above).

#define SPECNET_LOG_FACTORIAL_TABLE                                                                     \
  {0.0,                  0.0,                  0.69314718055994531,  1.79175946922805500,                 \
   3.17805383034794562,  4.78749174278204599,  6.57925121201010100,  8.52516136106541430,                 \
   10.60460290274525023, 12.80182748008146961, 15.10441257307551530, 17.50230784587388584,                \
   19.98721449566188615, 22.55216385312342289, 25.19122118273868150, 27.89927138384089157}
__constant__ double kLogFactorialDevice[16] = SPECNET_LOG_FACTORIAL_TABLE;
#ifndef __CUDA_ARCH__
const double kLogFactorialHost[16] = SPECNET_LOG_FACTORIAL_TABLE;
#endif

SPECNET_HD inline double log_factorial(double k) {
#ifdef __CUDA_ARCH__
  if (k < 16) return kLogFactorialDevice[static_cast<int>(k)];
#else
  if (k < 16) return kLogFactorialHost[static_cast<int>(k)];
#endif
  const double x = k + 1, ix = 1 / x, ix2 = ix * ix;
  return (x - 0.5) * log(x) - x + 0.91893853320467274 +
         ix * (1.0 / 12 - ix2 * (1.0 / 360 - ix2 * (1.0 / 1260 - ix2 / 1680)));
}

SPECNET_HD inline double poisson_inversion(double mean, Uniforms& u) {
  const double x = u.next();
  double p = exp(-mean), cdf = p;
  int k = 0;
  while (x > cdf && k < 200) {
    ++k;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

SPECNET_HD inline double poisson_ptrs(double mean, Uniforms& u) {
  const double slam = sqrt(mean);
  double loglam = 0;
  const double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double U = u.next() - 0.5, V = u.next();
    const double us = 0.5 - fabs(U);
    const double k = floor((2 * a / us + b) * U + mean + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (loglam == 0) loglam = log(mean);
    if (log(V) + log(inv_alpha) - log(a / (us * us) + b) <= -mean + k * loglam - log_factorial(k)) return k;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The plan as kernels see it (device pointers + scalars, passed by value).

constexpr int kMaxTerms = static_cast<int>(sim::kPlanMaxTerms);
constexpr int kMaxParams = static_cast<int>(sim::kPlanMaxParams);

struct DevicePlan {
  int E, H, P, num_terms, num_priors, tbabs_nh;
  int term_kind[kMaxTerms], term_param[kMaxTerms];
  const double* edges;       // (E+1)
  const double* log_edges;   // (E+1)
  const long long* tb_begin; // (E+1)
  const double* tb_sigma;    // (nodes)
  const double* tb_weight;   // (nodes)
  // apec table (sim::ApecTable)
  int a_temps, a_cells, a_lines;
  double a_kt_min, a_kt_max, a_em_per_norm;
  const double* a_nodes;      // (cells+1)
  const float* a_hhe;         // (temps, cells)
  const float* a_metals;      // (temps, cells)
  const double* a_line_e;     // (lines)
  const float* a_line_emis;   // (lines, temps)
  // Per apec term j: the continuum cells [prof_first, prof_first + prof_cells) that the grid can reach, held in
  // the per-batch profile workspace from row prof_offset on (see apec_profile_kernel). With a fixed redshift
  // the bin geometry is precomputed: cell and fraction of each edge, first line of each bin (else null).
  int prof_first[kMaxTerms], prof_cells[kMaxTerms], prof_offset[kMaxTerms];
  const int* geo_k[kMaxTerms];       // (E+1)
  const double* geo_u[kMaxTerms];    // (E+1)
  const int* geo_line[kMaxTerms];    // (E+1) lines of bin e: [geo_line[e], geo_line[e+1])
  // parameters
  const double* param_value;  // (P)
  const int* param_source;    // (P)
  const int* prior_param;     // (priors)
  const double* prior_lo;     // (priors)
  const double* prior_hi;     // (priors)
  const unsigned char* prior_log;  // (priors)
  // response and counts scaling
  const long long* row_start;  // (H+1)
  const int* energy_index;     // (nnz)
  const double* value;         // (nnz)
  const int2* tile_window;     // (tiles) energy range [x, y) of each tile of kTileOutputs outputs
  int num_tiles;
  const double* background;    // (H) or null
  double source_scale, background_scale;
};

// ---------------------------------------------------------------------------------------------------------
// Stage 1: parameters. One thread per spectrum; (P, n) for the model kernel and optionally (n, P) row-major.

SPECNET_HD inline void draw_params_one(const DevicePlan& m, unsigned long long seed, long long first, int n, int b,
                                       double* params_pn, double* params_np) {
  double v[kMaxParams];  // (P)
  for (int p = 0; p < m.P; ++p) v[p] = m.param_value[p];
  Uniforms u(seed, 2ull * static_cast<unsigned long long>(first + b) + 1ull);
  for (int k = 0; k < m.num_priors; ++k) {
    const double x = u.next(), lo = m.prior_lo[k], hi = m.prior_hi[k];
    v[m.prior_param[k]] = m.prior_log[k] ? exp(log(lo) + x * (log(hi) - log(lo))) : lo + x * (hi - lo);
  }
  for (int p = 0; p < m.P; ++p) {
    const double value = v[m.param_source[p]];
    params_pn[static_cast<size_t>(p) * n + b] = value;
    if (params_np) params_np[static_cast<size_t>(b) * m.P + p] = value;
  }
}

__global__ void draw_params_kernel(DevicePlan m, unsigned long long seed, long long first, int n, double* params_pn,
                                   double* params_np) {
  for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < n; b += blockDim.x * gridDim.x)
    draw_params_one(m, seed, first, n, b, params_pn, params_np);
}

// ---------------------------------------------------------------------------------------------------------
// Stage 2: model photons (E, n). The component formulas are those of model_tbabs.cpp, apec.cpp and
// model_powerlaw.cpp, evaluated for one bin.

SPECNET_HD inline double tbabs_bin(const DevicePlan& m, int e, double nh22) {
  if (nh22 == 0) return 1.0;
  double sum = 0;  // the CPU stores exp(-nH sigma) * weight before summing: no fused multiply-add here
  for (long long j = m.tb_begin[e]; j < m.tb_begin[e + 1]; ++j)
    sum = add_rn(sum, mul_rn(exp(-nh22 * m.tb_sigma[j]), m.tb_weight[j]));
  return sum;
}

SPECNET_HD inline double powerlaw_bin(const DevicePlan& m, int e, double gamma, double norm) {
  const double a = 1.0 - gamma;
  if (fabs(a) < 1e-10) return norm * log(m.edges[e + 1] / m.edges[e]);  // Gamma = 1
  const double l1 = m.log_edges[e], l2 = m.log_edges[e + 1];
  return norm * exp(a * l1) * expm1(a * (l2 - l1)) / a;
}

struct CellPos {
  int k;
  double u;
};

// Rest energy -> (cell, fraction of the cell), clamped to the node grid (apec.cpp's locate).
SPECNET_HD inline CellPos apec_locate(const double* node, int cells, double x) {
  if (x <= node[0]) return {0, 0.0};
  if (x >= node[cells]) return {cells - 1, 1.0};
  int lo = 0, hi = cells;  // node[lo] <= x < node[hi]
  while (hi - lo > 1) {
    const int mid = (lo + hi) >> 1;
    if (node[mid] <= x) lo = mid;
    else hi = mid;
  }
  return {lo, (x - node[lo]) / (node[lo + 1] - node[lo])};
}

// First line whose observed energy E_l / (1 + z) is >= x (apec.cpp's add_lines walks the same comparisons).
SPECNET_HD inline int apec_first_line(const double* line_e, int lines, double one_plus_z, double x) {
  int l = 0, hi = lines;
  while (l < hi) {
    const int mid = (l + hi) >> 1;
    if (line_e[mid] / one_plus_z < x) l = mid + 1;
    else hi = mid;
  }
  return l;
}

// Temperature interpolation of apec.cpp: table row t and the weight w of row t + 1 (linear in log T).
SPECNET_HD inline void apec_temperature(const DevicePlan& m, double kT, int& t, double& w) {
  const double x = log(kT / m.a_kt_min) / log(m.a_kt_max / m.a_kt_min) * (m.a_temps - 1);
  t = clamp_int(static_cast<int>(floor(x)), 0, m.a_temps - 2);
  w = x - t;
}

// One continuum component between table rows t and t + 1: apec.cpp's CellProfile, cell by cell.
struct ApecCells {
  const double* node;  // (cells + 1)
  const float* row;    // (2, cells) table rows t, t + 1
  int cells;
  double w;
  SPECNET_HD double cell(int k) const { return (1 - w) * row[k] + w * row[cells + k]; }
  SPECNET_HD double beta(int k) const {
    if (k < 1 || k + 1 >= cells) return 0.0;
    const double dm = cell(k - 1) / (node[k] - node[k - 1]);
    const double d0 = cell(k) / (node[k + 1] - node[k]);
    const double dp = cell(k + 1) / (node[k + 2] - node[k + 1]);
    if (d0 <= 0 || (dp - d0) * (d0 - dm) <= 0) return 0.0;
    const double mid_m = 0.5 * (node[k - 1] + node[k]), mid_p = 0.5 * (node[k + 1] + node[k + 2]);
    const double b = (dp - dm) / (mid_p - mid_m) * (node[k + 1] - node[k]) / d0;
    return fmax(-2.0, fmin(2.0, b));
  }
};

// Photons of a cell (total `cell`, slope `beta`) between fractions u0 <= u1 (CellProfile::part).
SPECNET_HD inline double cell_part(double cell, double beta, double u0, double u1) {
  return cell * ((u1 - u0) + 0.5 * beta * ((u1 * u1 - u1) - (u0 * u0 - u0)));
}

// Profile rows of apec term j for one spectrum (row r at p[r * n]): cells and slopes of H+He and metals over the
// term's cell range, then w and t of the temperature interpolation. Computed once per spectrum, read by every bin.
struct ApecProfile {
  const double* p;
  size_t n;
  int first, cells;
  SPECNET_HD double hhe_cell(int k) const { return p[(k - first) * n]; }
  SPECNET_HD double hhe_beta(int k) const { return p[(cells + k - first) * n]; }
  SPECNET_HD double metals_cell(int k) const { return p[(2 * cells + k - first) * n]; }
  SPECNET_HD double metals_beta(int k) const { return p[(3 * cells + k - first) * n]; }
  SPECNET_HD double w() const { return p[4 * static_cast<size_t>(cells) * n]; }
  SPECNET_HD int t() const { return static_cast<int>(p[(4 * static_cast<size_t>(cells) + 1) * n]); }
  // CellProfile parts of both components: hhe.part + abundance * metals.part.
  SPECNET_HD double part(int k, double abundance, double u0, double u1) const {
    return cell_part(hhe_cell(k), hhe_beta(k), u0, u1) + abundance * cell_part(metals_cell(k), metals_beta(k), u0, u1);
  }
};

SPECNET_HD inline int apec_profile_rows(int cells) { return 4 * cells + 2; }

// Profile row r < prof_cells of apec term j (all four arrays at cell prof_first + r) for spectrum b; row 0 also
// stores the temperature weights.
SPECNET_HD inline void apec_profile_one(const DevicePlan& m, int j, int r, int n, int b, const double* params_pn,
                                        double* profile) {
  const double kT = params_pn[static_cast<size_t>(m.term_param[j]) * n + b];
  int t;
  double w;
  apec_temperature(m, kT, t, w);
  const ApecCells hhe{m.a_nodes, m.a_hhe + static_cast<size_t>(t) * m.a_cells, m.a_cells, w};
  const ApecCells metals{m.a_nodes, m.a_metals + static_cast<size_t>(t) * m.a_cells, m.a_cells, w};
  const int cells = m.prof_cells[j], k = m.prof_first[j] + r;
  double* p = profile + static_cast<size_t>(m.prof_offset[j]) * n + b;
  const size_t s = static_cast<size_t>(n);
  p[r * s] = hhe.cell(k);
  p[(cells + r) * s] = hhe.beta(k);
  p[(2 * cells + r) * s] = metals.cell(k);
  p[(3 * cells + r) * s] = metals.beta(k);
  if (r == 0) {
    p[4 * static_cast<size_t>(cells) * s] = w;
    p[(4 * static_cast<size_t>(cells) + 1) * s] = t;
  }
}

__global__ void apec_profile_kernel(DevicePlan m, int n, const double* params_pn, double* profile) {
  for (int j = 0; j < m.num_terms; ++j) {
    if (m.term_kind[j] != static_cast<int>(sim::PlanTerm::apec)) continue;
    for (int r = blockIdx.y; r < m.prof_cells[j]; r += gridDim.y)
      for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < n; b += blockDim.x * gridDim.x)
        apec_profile_one(m, j, r, n, b, params_pn, profile);
  }
}

// apec term j in bin e for spectrum b (parameters kT, Abundanc, Redshift, norm at q[0], q[n], q[2n], q[3n]).
SPECNET_HD inline double apec_bin(const DevicePlan& m, int j, int e, int n, int b, const double* q,
                                  const double* profile) {
  const size_t s = static_cast<size_t>(n);
  const double abundance = q[s], one_plus_z = 1.0 + q[2 * s], norm = q[3 * s];
  const ApecProfile prof{profile + static_cast<size_t>(m.prof_offset[j]) * n + b, s, m.prof_first[j],
                         m.prof_cells[j]};
  const double scale = norm * m.a_em_per_norm / one_plus_z;
  CellPos a, c;
  int line, line_end;
  if (m.geo_k[j]) {
    a = {m.geo_k[j][e], m.geo_u[j][e]};
    c = {m.geo_k[j][e + 1], m.geo_u[j][e + 1]};
    line = m.geo_line[j][e];
    line_end = m.geo_line[j][e + 1];
  } else {
    a = apec_locate(m.a_nodes, m.a_cells, m.edges[e] * one_plus_z);
    c = apec_locate(m.a_nodes, m.a_cells, m.edges[e + 1] * one_plus_z);
    line = apec_first_line(m.a_line_e, m.a_lines, one_plus_z, m.edges[e]);
    line_end = m.a_lines;  // the loop below stops at the bin's upper edge
  }
  double photons;
  if (a.k == c.k) {
    photons = prof.part(a.k, abundance, a.u, c.u);
  } else {
    photons = prof.part(a.k, abundance, a.u, 1.0) + prof.part(c.k, abundance, 0.0, c.u);
    for (int k = a.k + 1; k < c.k; ++k) photons += prof.hhe_cell(k) + abundance * prof.metals_cell(k);
  }
  double out = scale * photons;
  // Lines whose observed energy lies in [edges[e], edges[e+1]), in table order.
  const double w = prof.w();
  const int t = prof.t();
  for (; line < line_end && m.a_line_e[line] / one_plus_z < m.edges[e + 1]; ++line) {
    const float* emis = m.a_line_emis + static_cast<size_t>(line) * m.a_temps + t;
    out += scale * abundance * ((1 - w) * emis[0] + w * emis[1]);
  }
  return out;
}

// photons of bin e for spectrum b: T * (((term_0 + term_1) + ...)), parameter p of b at params_pn[p * n + b].
SPECNET_HD inline double model_one(const DevicePlan& m, int e, int n, int b, const double* params_pn,
                                   const double* profile) {
  double sum = 0;
  for (int j = 0; j < m.num_terms; ++j) {
    const double* q = params_pn + static_cast<size_t>(m.term_param[j]) * n + b;
    const double term = m.term_kind[j] == static_cast<int>(sim::PlanTerm::apec)
                            ? apec_bin(m, j, e, n, b, q, profile)
                            : powerlaw_bin(m, e, q[0], q[static_cast<size_t>(n)]);
    sum = j == 0 ? term : sum + term;
  }
  if (m.tbabs_nh >= 0) sum = tbabs_bin(m, e, params_pn[static_cast<size_t>(m.tbabs_nh) * n + b]) * sum;
  return sum;
}

// Blocks walk energy bins (y) so that every thread of a block takes the same branches; x walks the spectra.
__global__ void model_kernel(DevicePlan m, int n, const double* params_pn, const double* profile,
                             double* photons_en) {
  for (int e = blockIdx.y; e < m.E; e += gridDim.y)
    for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < n; b += blockDim.x * gridDim.x)
      photons_en[static_cast<size_t>(e) * n + b] = model_one(m, e, n, b, params_pn, profile);
}

// ---------------------------------------------------------------------------------------------------------
// Stage 3: fold + background -> expected counts (H, n). A block owns kTileOutputs outputs x 32 spectra: each
// warp holds kOutputsPerWarp output rows for 32 spectra (one lane per spectrum), so CSR entries are warp-uniform
// loads, while the photons of the tile's energy window pass through shared memory in chunks. Every output sums
// its entries in ascending energy order with fused multiply-adds, as the CPU fold does.

constexpr int kFoldWarps = 16;
constexpr int kOutputsPerWarp = 2;
constexpr int kTileOutputs = kFoldWarps * kOutputsPerWarp;
constexpr int kChunkEnergies = 128;

struct FoldThread {
  long long k[kOutputsPerWarp], kend[kOutputsPerWarp];  // next and end entry of each output row
  double acc[kOutputsPerWarp];
};

SPECNET_HD inline int fold_output(int tile, int warp, int j) { return tile * kTileOutputs + warp + kFoldWarps * j; }

SPECNET_HD inline void fold_begin(const DevicePlan& m, int tile, int warp, FoldThread& t) {
  for (int j = 0; j < kOutputsPerWarp; ++j) {
    const int o = fold_output(tile, warp, j);
    t.k[j] = o < m.H ? m.row_start[o] : 0;
    t.kend[j] = o < m.H ? m.row_start[o + 1] : 0;
    t.acc[j] = 0;
  }
}

// Thread (warp, lane) stages rows warp, warp + kFoldWarps, ... of the chunk [c0, c0 + width) for spectrum b.
SPECNET_HD inline void fold_load(int n, const double* photons_en, int c0, int width, int warp, int lane, int b,
                                 double (*xs)[32]) {
  for (int r = warp; r < width; r += kFoldWarps)
    xs[r][lane] = b < n ? photons_en[static_cast<size_t>(c0 + r) * n + b] : 0.0;
}

// Consumes the entries of the thread's rows with energies in [c0, cend).
SPECNET_HD inline void fold_step(const DevicePlan& m, int c0, int cend, int lane, const double (*xs)[32],
                                 FoldThread& t) {
  for (int j = 0; j < kOutputsPerWarp; ++j) {
    for (; t.k[j] < t.kend[j]; ++t.k[j]) {
      const int e = m.energy_index[t.k[j]];
      if (e >= cend) break;
      t.acc[j] = fma(m.value[t.k[j]], xs[e - c0][lane], t.acc[j]);
    }
  }
}

// counts = folded * t, then += background * scale (the CPU contracts the second into a fused multiply-add).
SPECNET_HD inline void fold_end(const DevicePlan& m, int n, int tile, int warp, int b, const FoldThread& t,
                                double* mean_hn) {
  if (b >= n) return;
  for (int j = 0; j < kOutputsPerWarp; ++j) {
    const int o = fold_output(tile, warp, j);
    if (o >= m.H) continue;
    double mu = mul_rn(t.acc[j], m.source_scale);
    if (m.background) mu = fma(m.background[o], m.background_scale, mu);
    mean_hn[static_cast<size_t>(o) * n + b] = mu;
  }
}

__global__ void __launch_bounds__(32 * kFoldWarps) fold_kernel(DevicePlan m, int n, const double* photons_en,
                                                               double* mean_hn) {
  __shared__ double xs[kChunkEnergies][32];  // (chunk energies, 32 spectra)
  const int lane = threadIdx.x, warp = threadIdx.y;
  for (int tile = blockIdx.x; tile < m.num_tiles; tile += gridDim.x) {
    const int2 window = m.tile_window[tile];
    for (int group = blockIdx.y; group * 32 < n; group += gridDim.y) {
      const int b = group * 32 + lane;
      FoldThread t;
      fold_begin(m, tile, warp, t);
      for (int c0 = window.x; c0 < window.y; c0 += kChunkEnergies) {
        const int width = min(kChunkEnergies, window.y - c0);
        __syncthreads();  // the previous chunk is consumed
        fold_load(n, photons_en, c0, width, warp, lane, b, xs);
        __syncthreads();
        fold_step(m, c0, c0 + width, lane, xs, t);
      }
      fold_end(m, n, tile, warp, b, t, mean_hn);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Stage 4: Poisson counts (H, n), one thread per spectrum walking its channels in order on stream (seed, 2i).
// Threads of a warp share the channel, so loads and stores are coalesced and branches mostly agree.

constexpr int kBadMean = 1, kCountOverflow = 2;

SPECNET_HD inline void poisson_one(int H, int n, int b, unsigned long long seed, long long first,
                                   const double* mean_hn, int* counts_hn, int* status) {
  Uniforms u(seed, 2ull * static_cast<unsigned long long>(first + b));
  for (int h = 0; h < H; ++h) {
    const size_t at = static_cast<size_t>(h) * n + b;
    const double mu = mean_hn[at];
    double c = 0;
    if (!(mu >= 0 && mu <= DBL_MAX)) {
      raise_flag(status, kBadMean);
    } else if (mu > 0) {
      c = mu < 10.0 ? poisson_inversion(mu, u) : poisson_ptrs(mu, u);
      if (c > INT_MAX) {
        raise_flag(status, kCountOverflow);
        c = 0;
      }
    }
    counts_hn[at] = static_cast<int>(c);
  }
}

__global__ void poisson_kernel(int H, int n, unsigned long long seed, long long first, const double* mean_hn,
                               int* counts_hn, int* status) {
  for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < n; b += blockDim.x * gridDim.x)
    poisson_one(H, n, b, seed, first, mean_hn, counts_hn, status);
}

// (H, n) -> (n, H) through 32 x 32 shared tiles.
__global__ void transpose_kernel(const int* in_hn, int H, int n, int* out_nh) {
  __shared__ int tile[32][33];
  for (int by = blockIdx.y; by * 32 < H; by += gridDim.y) {
    for (int bx = blockIdx.x; bx * 32 < n; bx += gridDim.x) {
      for (int i = threadIdx.y; i < 32; i += blockDim.y) {
        const int h = by * 32 + i, b = bx * 32 + threadIdx.x;
        if (h < H && b < n) tile[i][threadIdx.x] = in_hn[static_cast<size_t>(h) * n + b];
      }
      __syncthreads();
      for (int i = threadIdx.y; i < 32; i += blockDim.y) {
        const int b = bx * 32 + i, h = by * 32 + threadIdx.x;
        if (h < H && b < n) out_nh[static_cast<size_t>(b) * H + h] = tile[threadIdx.x][i];
      }
      __syncthreads();
    }
  }
}

// Blocks for `work` items, at least 1 and at most 65535 (valid in every grid dimension; kernels grid-stride).
unsigned grid_for(long long work, int threads) {
  return static_cast<unsigned>(std::max(1LL, std::min<long long>(65535, (work + threads - 1) / threads)));
}

// The plan's arrays in the types the kernels read: host copies (for the CPU emulation and the upload) and their
// device mirror, with the same member names so that make_view serves both.
struct HostTables {
  std::vector<double> edges, log_edges, tb_sigma, tb_weight, a_nodes, a_line_e, param_value, prior_lo, prior_hi;
  std::vector<double> value, background;
  std::vector<long long> tb_begin, row_start;
  std::vector<float> a_hhe, a_metals, a_line_emis;
  std::vector<int> param_source, prior_param, energy_index;
  std::vector<unsigned char> prior_log;
  std::vector<int2> tile_window;  // (tiles) energy range [x, y) of the entries of kTileOutputs outputs
  // apec terms with a fixed redshift: bin geometry (DevicePlan::geo_*), empty otherwise.
  std::vector<int> geo_k[kMaxTerms], geo_line[kMaxTerms];
  std::vector<double> geo_u[kMaxTerms];
  // Profile workspace layout (DevicePlan::prof_*) and its rows per spectrum.
  int prof_first[kMaxTerms] = {}, prof_cells[kMaxTerms] = {}, prof_offset[kMaxTerms] = {};
  int prof_rows = 0;
};

// Cell ranges and, for a fixed redshift (unless `any_redshift`), the bin geometry of every apec term (the same HD
// functions the kernels call, so the positions are those the kernels would compute).
void add_apec_geometry(const sim::FakeitPlan& p, bool any_redshift, HostTables& t) {
  const int cells = static_cast<int>(t.a_nodes.size()) - 1, lines = static_cast<int>(t.a_line_e.size());
  for (std::size_t j = 0; j < p.term_kind.size(); ++j) {
    if (p.term_kind[j] != sim::PlanTerm::apec) continue;
    const std::int64_t z_param = p.term_param[j] + 2;
    const bool z_drawn = std::find(p.prior_param.begin(), p.prior_param.end(), p.param_source[z_param]) !=
                         p.prior_param.end();
    int first = 0, last = cells - 1;
    if (!z_drawn && !any_redshift) {
      const double one_plus_z = 1.0 + p.param_value[z_param];
      for (std::int64_t e = 0; e <= p.E; ++e) {
        const CellPos c = apec_locate(t.a_nodes.data(), cells, p.edges_kev[e] * one_plus_z);
        t.geo_k[j].push_back(c.k);
        t.geo_u[j].push_back(c.u);
        t.geo_line[j].push_back(apec_first_line(t.a_line_e.data(), lines, one_plus_z, p.edges_kev[e]));
      }
      first = t.geo_k[j].front();
      last = t.geo_k[j].back();
    }
    t.prof_first[j] = first;
    t.prof_cells[j] = last - first + 1;
    t.prof_offset[j] = t.prof_rows;
    t.prof_rows += apec_profile_rows(t.prof_cells[j]);
  }
}

// `any_redshift`: no precomputed apec geometry, for parameters other than the plan's draws (expected()).
HostTables host_tables(const sim::FakeitPlan& p, bool any_redshift = false) {
  HostTables t;
  t.edges = p.edges_kev;
  t.log_edges = p.log_edges;
  t.tb_begin = narrow<long long>(p.tbabs_bin_begin);
  t.tb_sigma = p.tbabs_sigma22;
  t.tb_weight = p.tbabs_weight;
  const sim::ApecTable& a = sim::apec_table();
  const std::size_t cells = static_cast<std::size_t>(a.num_cells), temps = static_cast<std::size_t>(a.num_temps);
  t.a_nodes.assign(a.node_energy_kev, a.node_energy_kev + cells + 1);
  t.a_hhe.assign(a.continuum_hhe, a.continuum_hhe + temps * cells);
  t.a_metals.assign(a.continuum_metals, a.continuum_metals + temps * cells);
  t.a_line_e.assign(a.line_energy_kev, a.line_energy_kev + a.num_lines);
  t.a_line_emis.assign(a.line_emissivity, a.line_emissivity + static_cast<std::size_t>(a.num_lines) * temps);
  t.param_value = p.param_value;
  t.param_source = narrow<int>(p.param_source);
  t.prior_param = narrow<int>(p.prior_param);
  t.prior_lo = p.prior_lo;
  t.prior_hi = p.prior_hi;
  t.prior_log = p.prior_log;
  t.row_start = narrow<long long>(p.row_start);
  t.energy_index = narrow<int>(p.energy_index);
  t.value = p.value;
  t.background = p.background_rate;
  const std::int64_t tiles = (p.H + kTileOutputs - 1) / kTileOutputs;
  for (std::int64_t tile = 0; tile < tiles; ++tile) {
    int lo = INT_MAX, hi = 0;
    for (std::int64_t o = tile * kTileOutputs; o < std::min(p.H, (tile + 1) * kTileOutputs); ++o) {
      if (p.row_start[o] == p.row_start[o + 1]) continue;  // empty rows contribute nothing
      lo = std::min(lo, static_cast<int>(p.energy_index[p.row_start[o]]));
      hi = std::max(hi, static_cast<int>(p.energy_index[p.row_start[o + 1] - 1]) + 1);
    }
    t.tile_window.push_back(lo < hi ? make_int2(lo, hi) : make_int2(0, 0));
  }
  add_apec_geometry(p, any_redshift, t);
  return t;
}

struct DeviceTables {
  DeviceArray<double> edges, log_edges, tb_sigma, tb_weight, a_nodes, a_line_e, param_value, prior_lo, prior_hi;
  DeviceArray<double> value, background;
  DeviceArray<long long> tb_begin, row_start;
  DeviceArray<float> a_hhe, a_metals, a_line_emis;
  DeviceArray<int> param_source, prior_param, energy_index;
  DeviceArray<unsigned char> prior_log;
  DeviceArray<int2> tile_window;
  DeviceArray<int> geo_k[kMaxTerms], geo_line[kMaxTerms];
  DeviceArray<double> geo_u[kMaxTerms];

  void upload(const HostTables& h) {
    for (int j = 0; j < kMaxTerms; ++j) {
      geo_k[j].upload(h.geo_k[j]);
      geo_line[j].upload(h.geo_line[j]);
      geo_u[j].upload(h.geo_u[j]);
    }
    edges.upload(h.edges);
    log_edges.upload(h.log_edges);
    tb_sigma.upload(h.tb_sigma);
    tb_weight.upload(h.tb_weight);
    a_nodes.upload(h.a_nodes);
    a_line_e.upload(h.a_line_e);
    param_value.upload(h.param_value);
    prior_lo.upload(h.prior_lo);
    prior_hi.upload(h.prior_hi);
    value.upload(h.value);
    background.upload(h.background);
    tb_begin.upload(h.tb_begin);
    row_start.upload(h.row_start);
    a_hhe.upload(h.a_hhe);
    a_metals.upload(h.a_metals);
    a_line_emis.upload(h.a_line_emis);
    param_source.upload(h.param_source);
    prior_param.upload(h.prior_param);
    energy_index.upload(h.energy_index);
    prior_log.upload(h.prior_log);
    tile_window.upload(h.tile_window);
  }
};

template <typename T>
const T* ptr(const std::vector<T>& v) {
  return v.empty() ? nullptr : v.data();
}
template <typename T>
const T* ptr(const DeviceArray<T>& a) {
  return a.get();
}

// Pointers from `t` (host or device arrays), the profile layout from the host tables `h`.
template <typename Tables>
DevicePlan make_view(const sim::FakeitPlan& p, const HostTables& h, const Tables& t) {
  DevicePlan v{};
  v.E = static_cast<int>(p.E);
  v.H = static_cast<int>(p.H);
  v.P = static_cast<int>(p.P);
  v.num_terms = static_cast<int>(p.term_kind.size());
  v.num_priors = static_cast<int>(p.prior_param.size());
  v.tbabs_nh = static_cast<int>(p.tbabs_nh);
  for (int j = 0; j < v.num_terms; ++j) {
    v.term_kind[j] = static_cast<int>(p.term_kind[j]);
    v.term_param[j] = static_cast<int>(p.term_param[j]);
    v.prof_first[j] = h.prof_first[j];
    v.prof_cells[j] = h.prof_cells[j];
    v.prof_offset[j] = h.prof_offset[j];
    const bool geometry = !h.geo_k[j].empty();  // t may hold geometry that h's layout does not use
    v.geo_k[j] = geometry ? ptr(t.geo_k[j]) : nullptr;
    v.geo_u[j] = geometry ? ptr(t.geo_u[j]) : nullptr;
    v.geo_line[j] = geometry ? ptr(t.geo_line[j]) : nullptr;
  }
  v.edges = ptr(t.edges);
  v.log_edges = ptr(t.log_edges);
  v.tb_begin = ptr(t.tb_begin);
  v.tb_sigma = ptr(t.tb_sigma);
  v.tb_weight = ptr(t.tb_weight);
  const sim::ApecTable& a = sim::apec_table();
  v.a_temps = a.num_temps;
  v.a_cells = a.num_cells;
  v.a_lines = a.num_lines;
  v.a_kt_min = a.kt_min_kev;
  v.a_kt_max = a.kt_max_kev;
  v.a_em_per_norm = a.emission_measure_per_norm;
  v.a_nodes = ptr(t.a_nodes);
  v.a_hhe = ptr(t.a_hhe);
  v.a_metals = ptr(t.a_metals);
  v.a_line_e = ptr(t.a_line_e);
  v.a_line_emis = ptr(t.a_line_emis);
  v.param_value = ptr(t.param_value);
  v.param_source = ptr(t.param_source);
  v.prior_param = ptr(t.prior_param);
  v.prior_lo = ptr(t.prior_lo);
  v.prior_hi = ptr(t.prior_hi);
  v.prior_log = ptr(t.prior_log);
  v.row_start = ptr(t.row_start);
  v.energy_index = ptr(t.energy_index);
  v.value = ptr(t.value);
  v.tile_window = ptr(t.tile_window);
  v.num_tiles = static_cast<int>(t.tile_window.size());
  v.background = ptr(t.background);  // null without a background
  v.source_scale = p.source_scale;
  v.background_scale = p.background_scale;
  return v;
}

void check_flags(int flags) {
  SPECNET_CHECK(!(flags & kBadMean), "CUDA fakeit: expected counts are negative or not finite (model or response "
                "values out of range)");
  SPECNET_CHECK(!(flags & kCountOverflow), "CUDA fakeit: a Poisson count exceeds the int32 range");
}

void check_range(std::int64_t first, std::int64_t n) {
  SPECNET_CHECK(first >= 0 && n >= 0, "CUDA fakeit: bad range [", first, ", ", first + n, ")");
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------

struct FakeitSimulator::Impl {
  sim::FakeitPlan plan;
  std::int64_t max_batch = 0;
  DeviceTables tables;  // uploaded once
  DevicePlan view{};       // the plan's draws: fixed redshifts use the precomputed apec geometry
  DevicePlan any_view{};   // any parameters (expected()): every apec term locates its bins itself
  int prof_rows = 0;       // rows of the larger of the two profile layouts
  // Workspace for one batch of B <= max_batch spectra.
  DeviceArray<double> params_pn;   // (P, B)
  DeviceArray<double> profile;     // (prof_rows, B) apec cell profiles
  DeviceArray<double> photons_en;  // (E, B)
  DeviceArray<double> mean_hn;     // (H, B)
  DeviceArray<int> counts_hn;      // (H, B)
  DeviceArray<int> status;         // (1)
  // Host-API staging.
  DeviceArray<int> counts_out;     // (B, H)
  DeviceArray<double> params_out;  // (B, P)

  void reserve(std::int64_t B);
  void run_batch(std::uint64_t seed, std::int64_t first, int B, int* d_counts, double* d_params);
  void model(const DevicePlan& v, int B);
  void fold(int B);
  void check_status();
};

// Workspace for batches of up to B spectra (grown on demand, never beyond max_batch).
void FakeitSimulator::Impl::reserve(std::int64_t B) {
  if (static_cast<std::int64_t>(photons_en.size()) >= B * plan.E) return;
  const auto b = static_cast<std::size_t>(B);
  params_pn.resize(static_cast<std::size_t>(plan.P) * b);
  profile.resize(static_cast<std::size_t>(prof_rows) * b);
  photons_en.resize(static_cast<std::size_t>(plan.E) * b);
  mean_hn.resize(static_cast<std::size_t>(plan.H) * b);
  counts_hn.resize(static_cast<std::size_t>(plan.H) * b);
}

// params_pn -> photons_en for a batch of B.
void FakeitSimulator::Impl::model(const DevicePlan& v, int B) {
  const int threads = 256;
  unsigned max_cells = 0;
  for (int j = 0; j < v.num_terms; ++j) max_cells = std::max(max_cells, static_cast<unsigned>(v.prof_cells[j]));
  if (max_cells > 0) {
    apec_profile_kernel<<<dim3(grid_for(B, threads), std::min(max_cells, 65535u)), threads, 0, stream()>>>(
        v, B, params_pn.get(), profile.get());
    SPECNET_CUDA_CHECK_LAUNCH("apec_profile_kernel");
  }
  const dim3 grid(static_cast<unsigned>(grid_for(B, threads)), static_cast<unsigned>(std::min(v.E, 65535)));
  model_kernel<<<grid, threads, 0, stream()>>>(v, B, params_pn.get(), profile.get(), photons_en.get());
  SPECNET_CUDA_CHECK_LAUNCH("model_kernel");
}

void FakeitSimulator::Impl::fold(int B) {
  const dim3 block(32, kFoldWarps);
  const dim3 grid(static_cast<unsigned>(std::min(view.num_tiles, 65535)), static_cast<unsigned>(grid_for(B, 32)));
  fold_kernel<<<grid, block, 0, stream()>>>(view, B, photons_en.get(), mean_hn.get());
  SPECNET_CUDA_CHECK_LAUNCH("fold_kernel");
}

void FakeitSimulator::Impl::run_batch(std::uint64_t seed, std::int64_t first, int B, int* d_counts,
                                      double* d_params) {
  const int threads = 256;
  draw_params_kernel<<<grid_for(B, threads), threads, 0, stream()>>>(view, seed, first, B, params_pn.get(), d_params);
  SPECNET_CUDA_CHECK_LAUNCH("draw_params_kernel");
  model(view, B);
  fold(B);
  // Small blocks so that even a modest batch spreads over every multiprocessor.
  poisson_kernel<<<grid_for(B, 64), 64, 0, stream()>>>(view.H, B, seed, first, mean_hn.get(), counts_hn.get(), status.get());
  SPECNET_CUDA_CHECK_LAUNCH("poisson_kernel");
  const dim3 tgrid(static_cast<unsigned>(grid_for(B, 32)), static_cast<unsigned>(grid_for(view.H, 32)));
  transpose_kernel<<<tgrid, dim3(32, 8), 0, stream()>>>(counts_hn.get(), view.H, B, d_counts);
  SPECNET_CUDA_CHECK_LAUNCH("transpose_kernel");
}

void FakeitSimulator::Impl::check_status() {
  int flags = 0;
  copy_to_host(&flags, status.get(), sizeof(int));  // waits for the batches queued before it
  memset_zero(status.get(), sizeof(int));
  check_flags(flags);
}

FakeitSimulator::FakeitSimulator(const sim::FakeitSetup& setup, const sim::CompositeModel& model,
                                 const std::vector<sim::Prior>& priors, std::int64_t max_batch)
    : impl_(std::make_unique<Impl>()) {
  SPECNET_CHECK(max_batch >= 1 && max_batch <= INT_MAX / 2, "CUDA fakeit: max_batch must be in [1, ", INT_MAX / 2,
                "], got ", max_batch);
  impl_->plan = sim::make_fakeit_plan(setup, model, priors);
  const sim::FakeitPlan& p = impl_->plan;
  SPECNET_CHECK(p.E < INT_MAX && p.H < INT_MAX && p.energy_index.size() < static_cast<std::size_t>(INT_MAX),
                "CUDA fakeit: response too large");
  SPECNET_CHECK(cuda_available(), "CUDA fakeit: no CUDA device is available");
  impl_->max_batch = max_batch;
  const HostTables host = host_tables(p);
  impl_->tables.upload(host);
  impl_->view = make_view(p, host, impl_->tables);
  const HostTables any = host_tables(p, true);
  impl_->any_view = make_view(p, any, impl_->tables);
  impl_->prof_rows = std::max(host.prof_rows, any.prof_rows);
  impl_->status.resize(1);
  memset_zero(impl_->status.get(), sizeof(int));
}

FakeitSimulator::~FakeitSimulator() = default;

std::int64_t FakeitSimulator::num_energies() const { return impl_->plan.E; }
std::int64_t FakeitSimulator::num_channels() const { return impl_->plan.H; }
std::int64_t FakeitSimulator::num_params() const { return impl_->plan.P; }

void FakeitSimulator::simulate_device(std::uint64_t seed, std::int64_t first, std::int64_t n, std::int32_t* d_counts,
                                      double* d_params) {
  check_range(first, n);
  SPECNET_CHECK(n == 0 || d_counts != nullptr, "CUDA fakeit: null device counts buffer");
  Impl& s = *impl_;
  const std::int64_t H = s.plan.H, P = s.plan.P;
  s.reserve(std::min(n, s.max_batch));
  for (std::int64_t c0 = 0; c0 < n; c0 += s.max_batch) {
    const int B = static_cast<int>(std::min(s.max_batch, n - c0));
    s.run_batch(seed, first + c0, B, d_counts + c0 * H, d_params ? d_params + c0 * P : nullptr);
  }
  s.check_status();
}

void FakeitSimulator::simulate(std::uint64_t seed, std::int64_t first, std::int64_t n, double* counts,
                               double* params) {
  check_range(first, n);
  SPECNET_CHECK(n == 0 || counts != nullptr, "CUDA fakeit: null counts buffer");
  Impl& s = *impl_;
  const std::int64_t H = s.plan.H, P = s.plan.P, batch = std::min(n, s.max_batch);
  s.counts_out.resize(static_cast<std::size_t>(batch * H));
  s.params_out.resize(static_cast<std::size_t>(batch * P));
  std::vector<int> host_counts(static_cast<std::size_t>(batch * H));  // (B, H)
  for (std::int64_t c0 = 0; c0 < n; c0 += batch) {
    const std::int64_t B = std::min(batch, n - c0);
    simulate_device(seed, first + c0, B, s.counts_out.get(), s.params_out.get());
    copy_to_host(host_counts.data(), s.counts_out.get(), sizeof(int) * B * H);
    for (std::int64_t i = 0; i < B * H; ++i) counts[c0 * H + i] = host_counts[i];
    if (params)
      copy_to_host(params + c0 * P, s.params_out.get(), sizeof(double) * B * P);
  }
}

void FakeitSimulator::expected(const double* params, std::int64_t n, double* photons, double* expected_counts) {
  Impl& s = *impl_;
  const sim::FakeitPlan& p = s.plan;
  SPECNET_CHECK(n >= 0 && (n == 0 || params != nullptr), "CUDA fakeit: expected() needs n >= 0 and parameters");
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t q = 0; q < p.P; ++q) {
      const double v = params[i * p.P + q];
      SPECNET_CHECK(v >= p.param_min[q] && v <= p.param_max[q], "CUDA fakeit: parameter ", q, " of spectrum ", i,
                    " is ", v, ", outside its hard limits [", p.param_min[q], ", ", p.param_max[q], "]");
    }
  const std::int64_t batch = std::min(n, s.max_batch);
  s.reserve(batch);
  std::vector<double> pn(static_cast<std::size_t>(p.P * batch)), staged;  // (P, B), (E or H, B)
  for (std::int64_t c0 = 0; c0 < n; c0 += batch) {
    const int B = static_cast<int>(std::min(batch, n - c0));
    for (std::int64_t i = 0; i < B; ++i)
      for (std::int64_t q = 0; q < p.P; ++q) pn[q * B + i] = params[(c0 + i) * p.P + q];
    copy_to_device(s.params_pn.get(), pn.data(), sizeof(double) * p.P * B);
    s.model(s.any_view, B);
    // (rows, B) on the device -> (B, rows) rows of the host output.
    auto fetch = [&](const double* d, std::int64_t rows, double* out) {
      staged.resize(static_cast<std::size_t>(rows * B));
      copy_to_host(staged.data(), d, sizeof(double) * rows * B);
      for (std::int64_t i = 0; i < B; ++i)
        for (std::int64_t r = 0; r < rows; ++r) out[(c0 + i) * rows + r] = staged[r * B + i];
    };
    if (photons) fetch(s.photons_en.get(), p.E, photons);
    if (expected_counts) {
      s.fold(B);
      fetch(s.mean_hn.get(), p.H, expected_counts);
    }
  }
}

void simulate_block_cuda(const sim::FakeitSetup& setup, const sim::CompositeModel& model,
                         const std::vector<sim::Prior>& priors, std::uint64_t seed, std::int64_t first,
                         std::int64_t n, double* counts, double* params) {
  FakeitSimulator sim(setup, model, priors, std::max<std::int64_t>(1, std::min(n, kFakeitDefaultBatch)));
  sim.simulate(seed, first, n, counts, params);
}

namespace {

// The model stage on the CPU: apec profiles, then every bin (model_kernel's work items in turn).
void emulate_model(const DevicePlan& m, int B, const double* params_pn, int prof_rows, double* photons_en) {
  std::vector<double> profile(static_cast<std::size_t>(prof_rows) * B);  // (prof_rows, B)
  for (int j = 0; j < m.num_terms; ++j)
    if (m.term_kind[j] == static_cast<int>(sim::PlanTerm::apec))
      for (int r = 0; r < m.prof_cells[j]; ++r)
        for (int b = 0; b < B; ++b) apec_profile_one(m, j, r, B, b, params_pn, profile.data());
  for (int e = 0; e < m.E; ++e)
    for (int b = 0; b < B; ++b)
      photons_en[static_cast<std::size_t>(e) * B + b] = model_one(m, e, B, b, params_pn, profile.data());
}

// The fold on the CPU: every fold block in turn, its threads' phases in kernel order (the barriers are the
// phase boundaries).
void emulate_fold(const DevicePlan& m, int B, const double* photons_en, double* mean_hn) {
  std::vector<double> shared(kChunkEnergies * 32);  // (chunk energies, 32)
  auto* xs = reinterpret_cast<double(*)[32]>(shared.data());
  std::vector<FoldThread> threads(kFoldWarps * 32);  // (warps, lanes)
  for (int tile = 0; tile < m.num_tiles; ++tile) {
    const int2 window = m.tile_window[tile];
    for (int group = 0; group * 32 < B; ++group) {
      for (int w = 0; w < kFoldWarps; ++w)
        for (int l = 0; l < 32; ++l) fold_begin(m, tile, w, threads[w * 32 + l]);
      for (int c0 = window.x; c0 < window.y; c0 += kChunkEnergies) {
        const int width = std::min(kChunkEnergies, window.y - c0);
        for (int w = 0; w < kFoldWarps; ++w)
          for (int l = 0; l < 32; ++l) fold_load(B, photons_en, c0, width, w, l, group * 32 + l, xs);
        for (int w = 0; w < kFoldWarps; ++w)
          for (int l = 0; l < 32; ++l) fold_step(m, c0, c0 + width, l, xs, threads[w * 32 + l]);
      }
      for (int w = 0; w < kFoldWarps; ++w)
        for (int l = 0; l < 32; ++l) fold_end(m, B, tile, w, group * 32 + l, threads[w * 32 + l], mean_hn);
    }
  }
}

// (rows, B) -> (B, rows).
template <typename T>
void rows_to_spectra(const T* in, std::int64_t rows, std::int64_t B, double* out) {
  for (std::int64_t b = 0; b < B; ++b)
    for (std::int64_t r = 0; r < rows; ++r) out[b * rows + r] = in[r * B + b];
}

}  // namespace

namespace detail {

void emulate_simulate_block(const sim::FakeitSetup& setup, const sim::CompositeModel& model,
                            const std::vector<sim::Prior>& priors, std::uint64_t seed, std::int64_t first,
                            std::int64_t n, double* counts, double* params) {
  check_range(first, n);
  SPECNET_CHECK(n <= INT_MAX / 2, "CUDA fakeit emulation: too many spectra (", n, ")");
  SPECNET_CHECK(n == 0 || counts != nullptr, "CUDA fakeit emulation: null counts buffer");
  const sim::FakeitPlan plan = sim::make_fakeit_plan(setup, model, priors);
  const HostTables tables = host_tables(plan);
  const DevicePlan m = make_view(plan, tables, tables);
  const int B = static_cast<int>(n);
  std::vector<double> params_pn(static_cast<std::size_t>(m.P) * B), photons_en(static_cast<std::size_t>(m.E) * B),
      mean_hn(static_cast<std::size_t>(m.H) * B);                 // (P, B), (E, B), (H, B)
  std::vector<int> counts_hn(static_cast<std::size_t>(m.H) * B);  // (H, B)
  for (int b = 0; b < B; ++b) draw_params_one(m, seed, first, B, b, params_pn.data(), params);
  emulate_model(m, B, params_pn.data(), tables.prof_rows, photons_en.data());
  emulate_fold(m, B, photons_en.data(), mean_hn.data());
  int flags = 0;
  for (int b = 0; b < B; ++b) poisson_one(m.H, B, b, seed, first, mean_hn.data(), counts_hn.data(), &flags);
  check_flags(flags);
  rows_to_spectra(counts_hn.data(), m.H, B, counts);
}

void emulate_expected(const sim::FakeitSetup& setup, const sim::CompositeModel& model, const double* params,
                      std::int64_t n, double* photons, double* expected_counts) {
  SPECNET_CHECK(n >= 0 && n <= INT_MAX / 2 && (n == 0 || params != nullptr),
                "CUDA fakeit emulation: expected() needs 0 <= n <= ", INT_MAX / 2, " and parameters");
  const sim::FakeitPlan plan = sim::make_fakeit_plan(setup, model, {});
  const HostTables tables = host_tables(plan, true);
  const DevicePlan m = make_view(plan, tables, tables);
  const int B = static_cast<int>(n);
  std::vector<double> params_pn(static_cast<std::size_t>(m.P) * B), photons_en(static_cast<std::size_t>(m.E) * B),
      mean_hn(static_cast<std::size_t>(m.H) * B);  // (P, B), (E, B), (H, B)
  for (int b = 0; b < B; ++b)
    for (int q = 0; q < m.P; ++q) params_pn[static_cast<std::size_t>(q) * B + b] = params[static_cast<std::size_t>(b) * m.P + q];
  emulate_model(m, B, params_pn.data(), tables.prof_rows, photons_en.data());
  if (photons) rows_to_spectra(photons_en.data(), m.E, B, photons);
  if (expected_counts) {
    emulate_fold(m, B, photons_en.data(), mean_hn.data());
    rows_to_spectra(mean_hn.data(), m.H, B, expected_counts);
  }
}

}  // namespace detail
}  // namespace specnet::cuda
