// Rational-quadratic spline kernels (Durkan et al. 2019), as nflows' unconstrained_rational_quadratic_spline
// with tails="linear": K bins on [-B, B], identity outside. Letters: n elements, K bins. Backward accumulates.
#pragma once
#include <cstdint>

namespace specnet::cpu {

struct RqSplineConfig {
  double tail_bound = 1.0;        // B: the spline maps [-B, B] onto itself
  double min_bin_width = 1e-3;    // each bin keeps at least this fraction of 2B
  double min_bin_height = 1e-3;
  double min_derivative = 1e-3;   // softplus(d) + min_derivative at the K-1 inner knots
  bool inverse = false;           // evaluate the inverse map and its log|det|
};

// in (n); unnormalised widths uw (n, K), heights uh (n, K), inner derivatives ud (n, K-1)
// -> out (n), logabsdet (n), bin (n): the bin used (-1 in the tails), saved for backward.
template <typename T>
void rq_spline_forward(T* out, T* logabsdet, std::int32_t* bin, const T* in, const T* uw, const T* uh, const T* ud,
                       std::int64_t n, std::int64_t K, const RqSplineConfig& cfg);

// din (n), duw (n, K), duh (n, K), dud (n, K-1) += the gradients of sum(dout * out + dlogabsdet * logabsdet).
// Any of the d* outputs may be null.
template <typename T>
void rq_spline_backward(T* din, T* duw, T* duh, T* dud, const T* dout, const T* dlogabsdet, const std::int32_t* bin,
                        const T* in, const T* uw, const T* uh, const T* ud, std::int64_t n, std::int64_t K,
                        const RqSplineConfig& cfg);

// Which arguments hold a NaN or infinity: bit 0 in (n), bit 1 uw (n, K), bit 2 uh (n, K), bit 3 ud (n, K-1).
// One pass (on the GPU one kernel and one 4-byte read-back) so that the op can refuse bad values cheaply.
template <typename T>
int rq_spline_nonfinite(const T* in, const T* uw, const T* uh, const T* ud, std::int64_t n, std::int64_t K);

}  // namespace specnet::cpu
