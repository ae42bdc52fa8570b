// Batch normalisation kernels on the GPU over (B, C, L), per channel C, as torch.nn.functional.batch_norm;
// statistics in double through a fixed-order reduction. Same names and arguments as specnet/cpu/batchnorm.h.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// Training: mean (C) and rstd (C) = 1 / sqrt(biased var + eps) from the batch; out = (in - mean) rstd w + b
// [w, b may be null]. When running_mean/running_var (C) are non-null they are updated in place:
// r = (1 - momentum) r + momentum s, with the unbiased variance (needs B L > 1).
template <typename T>
void batchnorm_forward_train(T* out, T* mean, T* rstd, T* running_mean, T* running_var, const T* in, const T* w,
                             const T* b, std::int64_t B, std::int64_t C, std::int64_t L, double momentum,
                             double eps);

// Eval: normalise with running_mean/running_var (C); writes mean (C) and rstd (C) for the backward.
template <typename T>
void batchnorm_forward_eval(T* out, T* mean, T* rstd, const T* in, const T* running_mean, const T* running_var,
                            const T* w, const T* b, std::int64_t B, std::int64_t C, std::int64_t L, double eps);

// din (B, C, L) += ..., dw (C) += sum dout xhat, db (C) += sum dout [any may be null]. `training` says
// whether mean/rstd came from this batch (then they depend on the input) or were fixed running statistics.
template <typename T>
void batchnorm_backward(T* din, T* dw, T* db, const T* dout, const T* in, const T* w, const T* mean, const T* rstd,
                        std::int64_t B, std::int64_t C, std::int64_t L, bool training);

}  // namespace specnet::cuda
