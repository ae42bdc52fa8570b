// Differentiable rational-quadratic spline (Durkan et al. 2019) with identity tails, as nflows'
// unconstrained_rational_quadratic_spline(tails="linear"): outputs and log|d out / d in| per element.
#pragma once
#include "specnet/cpu/rq_spline.h"
#include "specnet/tensor.h"

namespace specnet {

struct SplineResult {
  Tensor outputs;     // same shape as the input
  Tensor logabsdet;   // same shape as the input; 0 in the tails
};

// x shape S; unnormalised widths S+(K), heights S+(K), inner derivatives S+(K-1) (K >= 2 bins).
// Gradients flow to x and all three parameter tensors from both outputs.
SplineResult rq_spline(const Tensor& x, const Tensor& widths, const Tensor& heights, const Tensor& derivatives,
                       const cpu::RqSplineConfig& cfg = {});

}  // namespace specnet
