// Batch normalisation kernels on the GPU (torch.nn.functional.batch_norm semantics): per-channel sums in double
// through the fixed-order channel reduction, a per-channel finishing step, then one element-wise pass.
#include <cmath>

#include "layer_common.cuh"
#include "specnet/cuda/batchnorm.h"

namespace specnet::cuda {
namespace {

// (x - shift, (x - shift)^2) with the channel's first value as shift (as the CPU kernel: no cancellation).
template <typename T>
struct ShiftedMoments {
  const T* in;
  std::int64_t C, L;
  __device__ double2 operator()(std::int64_t b, std::int64_t c, std::int64_t l) const {
    const double v = static_cast<double>(in[(b * C + c) * L + l]) - static_cast<double>(in[c * L]);
    return make_double2(v, v * v);
  }
};

// Batch statistics -> mean, rstd, running statistics and the affine map (scale, shift) (C, 2) of the output.
template <typename T>
struct FinishTrain {
  T *mean, *rstd, *running_mean, *running_var, *affine;
  const T *in, *w, *b;
  std::int64_t L;
  double n, momentum, eps;
  __device__ void operator()(std::int64_t c, double s1, double s2) const {
    const double d = s1 / n, ss = fmax(0.0, s2 - s1 * d);  // sum of squared deviations from the mean
    const double mu = static_cast<double>(in[c * L]) + d, var = ss / n, r = 1.0 / sqrt(var + eps);
    mean[c] = static_cast<T>(mu);
    rstd[c] = static_cast<T>(r);
    if (running_mean) running_mean[c] = static_cast<T>((1 - momentum) * running_mean[c] + momentum * mu);
    if (running_var) running_var[c] = static_cast<T>((1 - momentum) * running_var[c] + momentum * ss / (n - 1));
    const double g = w ? static_cast<double>(w[c]) : 1.0, beta = b ? static_cast<double>(b[c]) : 0.0;
    affine[2 * c] = static_cast<T>(g * r);
    affine[2 * c + 1] = static_cast<T>(beta - mu * g * r);
  }
};

template <typename T>
__global__ void finish_eval_kernel(T* mean, T* rstd, T* affine, const T* running_mean, const T* running_var, const T* w,
                                   const T* b, std::int64_t C, double eps) {
  SPECNET_CUDA_LOOP(c, C) {
    const double mu = running_mean[c], r = 1.0 / sqrt(static_cast<double>(running_var[c]) + eps);
    mean[c] = static_cast<T>(mu);
    rstd[c] = static_cast<T>(r);
    const double g = w ? static_cast<double>(w[c]) : 1.0, beta = b ? static_cast<double>(b[c]) : 0.0;
    affine[2 * c] = static_cast<T>(g * r);
    affine[2 * c + 1] = static_cast<T>(beta - mu * g * r);
  }
}

// out (B, C, L) = in scale[c] + shift[c].
template <typename T>
__global__ void apply_affine_kernel(T* out, const T* in, const T* affine, std::int64_t C, std::int64_t L,
                                    std::int64_t n) {
  SPECNET_CUDA_LOOP(i, n) {
    const std::int64_t c = (i / L) % C;
    out[i] = in[i] * affine[2 * c] + affine[2 * c + 1];
  }
}

// (dy, dy (x - mean)) per element.
template <typename T>
struct GradMoments {
  const T *dout, *in, *mean;
  std::int64_t C, L;
  __device__ double2 operator()(std::int64_t b, std::int64_t c, std::int64_t l) const {
    const std::int64_t i = (b * C + c) * L + l;
    const double dy = static_cast<double>(dout[i]);
    return make_double2(dy, dy * (static_cast<double>(in[i]) - static_cast<double>(mean[c])));
  }
};

// dw, db and the constants of din = k dy + a (x - mean) + e per channel: coef (C, 4) = (k, a, e, mean).
template <typename T>
struct FinishBackward {
  T *dw, *db, *coef;
  const T *w, *mean, *rstd;
  double n;
  bool training;
  __device__ void operator()(std::int64_t c, double sdy, double sdyx) const {
    const double mu = mean[c], r = rstd[c], g = w ? static_cast<double>(w[c]) : 1.0;
    if (dw) dw[c] += static_cast<T>(sdyx * r);
    if (db) db[c] += static_cast<T>(sdy);
    const double mdyx = sdyx * r * r / n;  // mean(dy xhat) r
    coef[4 * c] = static_cast<T>(g * r);
    coef[4 * c + 1] = training ? static_cast<T>(-g * r * mdyx) : T(0);
    coef[4 * c + 2] = training ? static_cast<T>(-g * r * sdy / n) : T(0);
    coef[4 * c + 3] = static_cast<T>(mu);
  }
};

template <typename T>
__global__ void input_grad_kernel(T* din, const T* dout, const T* in, const T* coef, std::int64_t C, std::int64_t L,
                                  std::int64_t n, bool training) {
  SPECNET_CUDA_LOOP(i, n) {
    const T* k = coef + 4 * ((i / L) % C);
    din[i] += training ? k[0] * dout[i] + k[1] * (in[i] - k[3]) + k[2] : k[0] * dout[i];
  }
}

}  // namespace

template <typename T>
void batchnorm_forward_train(T* out, T* mean, T* rstd, T* running_mean, T* running_var, const T* in, const T* w,
                             const T* b, std::int64_t B, std::int64_t C, std::int64_t L, double momentum, double eps) {
  if (B * C * L == 0) return;
  detail::Workspace<T> affine_buf(2 * C);  // (C, 2): scale, shift
  T* affine = affine_buf.get();
  detail::channel_reduce(ShiftedMoments<T>{in, C, L},
                         FinishTrain<T>{mean, rstd, running_mean, running_var, affine, in, w, b, L,
                                        static_cast<double>(B * L), momentum, eps},
                         B, C, L);
  apply_affine_kernel<<<blocks_for(B * C * L), kThreads, 0, stream()>>>(out, in, affine, C, L, B * C * L);
  SPECNET_CUDA_CHECK_LAUNCH("apply_affine_kernel");
}

template <typename T>
void batchnorm_forward_eval(T* out, T* mean, T* rstd, const T* in, const T* running_mean, const T* running_var,
                            const T* w, const T* b, std::int64_t B, std::int64_t C, std::int64_t L, double eps) {
  if (C == 0) return;
  detail::Workspace<T> affine_buf(2 * C);  // (C, 2): scale, shift
  T* affine = affine_buf.get();
  finish_eval_kernel<<<blocks_for(C), kThreads, 0, stream()>>>(mean, rstd, affine, running_mean, running_var, w, b, C,
                                                               eps);
  SPECNET_CUDA_CHECK_LAUNCH("finish_eval_kernel");
  if (B * L == 0) return;
  apply_affine_kernel<<<blocks_for(B * C * L), kThreads, 0, stream()>>>(out, in, affine, C, L, B * C * L);
  SPECNET_CUDA_CHECK_LAUNCH("apply_affine_kernel");
}

template <typename T>
void batchnorm_backward(T* din, T* dw, T* db, const T* dout, const T* in, const T* w, const T* mean, const T* rstd,
                        std::int64_t B, std::int64_t C, std::int64_t L, bool training) {
  if (B * C * L == 0) return;
  detail::Workspace<T> coef_buf(4 * C);  // (C, 4)
  T* coef = coef_buf.get();
  detail::channel_reduce(GradMoments<T>{dout, in, mean, C, L},
                         FinishBackward<T>{dw, db, coef, w, mean, rstd, static_cast<double>(B * L), training}, B, C, L);
  if (!din) return;
  input_grad_kernel<<<blocks_for(B * C * L), kThreads, 0, stream()>>>(din, dout, in, coef, C, L, B * C * L, training);
  SPECNET_CUDA_CHECK_LAUNCH("input_grad_kernel");
}

#define SPECNET_INSTANTIATE(T)                                                                                        \
  template void batchnorm_forward_train<T>(T*, T*, T*, T*, T*, const T*, const T*, const T*, std::int64_t,            \
                                           std::int64_t, std::int64_t, double, double);                               \
  template void batchnorm_forward_eval<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, std::int64_t, \
                                          std::int64_t, std::int64_t, double);                                        \
  template void batchnorm_backward<T>(T*, T*, T*, const T*, const T*, const T*, const T*, const T*, std::int64_t,     \
                                      std::int64_t, std::int64_t, bool);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)
#undef SPECNET_INSTANTIATE

}  // namespace specnet::cuda
