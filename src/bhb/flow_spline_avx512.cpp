// AVX-512 inverse rational-quadratic spline for FastFlowSampler's bf16 path: the formulas of flow_block.cpp's
// spline_inverse_block (nflows' unconstrained spline, inverse, linear tails), 16 draws per register, float32 throughout.
#include <immintrin.h>

#include <cmath>

#include "flow_block.h"
#include "specnet/error.h"

namespace specnet::bhb::detail {
namespace {

#define SPECNET_AVX512_TARGET __attribute__((target("avx512f,avx512dq")))

// exp(x), Cephes expf polynomial on x - n ln 2, scaled by 2^n with vscalefps (under/overflow to 0 / inf).
SPECNET_AVX512_TARGET inline __m512 exp16(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.7f)), _mm512_set1_ps(-104.f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  return _mm512_scalef_ps(p, n);
}

// log(x) for x > 0 finite, Cephes logf polynomial on the mantissa in [sqrt(1/2), sqrt(2)).
SPECNET_AVX512_TARGET inline __m512 log16(__m512 x) {
  __m512 m = _mm512_getmant_ps(x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);  // [1, 2)
  __m512 e = _mm512_getexp_ps(x);
  const __mmask16 big = _mm512_cmp_ps_mask(m, _mm512_set1_ps(1.41421356f), _CMP_GT_OQ);
  m = _mm512_mask_mul_ps(m, big, m, _mm512_set1_ps(0.5f));
  e = _mm512_mask_add_ps(e, big, e, _mm512_set1_ps(1.f));
  const __m512 f = _mm512_sub_ps(m, _mm512_set1_ps(1.f)), z = _mm512_mul_ps(f, f);
  __m512 y = _mm512_set1_ps(7.0376836292e-2f);
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(-1.1514610310e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(1.1676998740e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(-1.2420140846e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(1.4249322787e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(-1.6668057665e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(2.0000714765e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(-2.4999993993e-1f));
  y = _mm512_fmadd_ps(y, f, _mm512_set1_ps(3.3333331174e-1f));
  y = _mm512_mul_ps(_mm512_mul_ps(y, f), z);
  y = _mm512_fmadd_ps(e, _mm512_set1_ps(-2.12194440e-4f), y);
  y = _mm512_fnmadd_ps(z, _mm512_set1_ps(0.5f), y);
  return _mm512_fmadd_ps(e, _mm512_set1_ps(0.693359375f), _mm512_add_ps(f, y));
}

// softplus (torch: identity above 20) + min_derivative.
SPECNET_AVX512_TARGET inline __m512 slope16(__m512 r, float md) {
  const __m512 ax = _mm512_abs_ps(r);
  const __m512 sp = _mm512_add_ps(_mm512_max_ps(r, _mm512_setzero_ps()),
                                  log16(_mm512_add_ps(_mm512_set1_ps(1.f), exp16(_mm512_sub_ps(_mm512_setzero_ps(), ax)))));
  const __mmask16 lin = _mm512_cmp_ps_mask(r, _mm512_set1_ps(20.f), _CMP_GT_OQ);
  return _mm512_add_ps(_mm512_mask_mov_ps(sp, lin, r), _mm512_set1_ps(md));
}

// Knots (K + 1) of one softmax row group: loc[0] = -B, loc[K] = B, minimum bin size min_size.
SPECNET_AVX512_TARGET inline void knots16(const float* P, std::int64_t ldp, const float* bias, std::int64_t j,
                                          __mmask16 mask, std::int64_t K, float min_size, float B, __m512* loc) {
  for (std::int64_t k = 0; k < K; ++k)  // raw logits, parked in loc[k + 1]
    loc[k + 1] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, P + k * ldp + j), _mm512_set1_ps(bias[k]));
  __m512 mx = loc[1];
  for (std::int64_t k = 1; k < K; ++k) mx = _mm512_max_ps(mx, loc[k + 1]);
  __m512 sum = _mm512_setzero_ps();
  for (std::int64_t k = 0; k < K; ++k) {
    loc[k + 1] = exp16(_mm512_sub_ps(loc[k + 1], mx));  // e_k
    sum = _mm512_add_ps(sum, loc[k + 1]);
  }
  const __m512 sc = _mm512_div_ps(_mm512_set1_ps(1.f - min_size * K), sum), two_b = _mm512_set1_ps(2 * B),
               b = _mm512_set1_ps(B), ms = _mm512_set1_ps(min_size);
  __m512 cum = _mm512_setzero_ps();
  loc[0] = _mm512_set1_ps(-B);
  for (std::int64_t k = 0; k + 1 < K; ++k) {
    cum = _mm512_add_ps(cum, _mm512_fmadd_ps(sc, loc[k + 1], ms));
    loc[k + 1] = _mm512_fmsub_ps(two_b, cum, b);
  }
  loc[K] = b;
}

}  // namespace

SPECNET_AVX512_TARGET void spline_inverse_block_avx512(const nn::SplineFlowOptions& o, const float* y, const float* P,
                                                       std::int64_t ldp, const float* bias, std::int64_t N, float* x,
                                                       double* ld) {
  const std::int64_t K = o.bins;
  SPECNET_CHECK(K >= 1 && K <= kMaxSplineBins, "spline_inverse_block_avx512: ", K, " bins (at most ",
                kMaxSplineBins, ")");
  const float B = static_cast<float>(o.tail_bound), md = static_cast<float>(o.min_derivative);
  const float edge =
      static_cast<float>(o.min_derivative + std::log1p(std::exp(std::log(std::expm1(1.0 - o.min_derivative)))));
  const float* dpar = P + 2 * K * ldp;  // the K - 1 raw inner derivatives (+ dbias)
  const float* dbias = bias + 2 * K;
  __m512 cw[kMaxSplineBins + 1], ch[kMaxSplineBins + 1];
  for (std::int64_t j = 0; j < N; j += 16) {
    const __mmask16 mask = N - j >= 16 ? __mmask16(0xffff) : __mmask16((1u << (N - j)) - 1);
    knots16(P, ldp, bias, j, mask, K, static_cast<float>(o.min_bin_width), B, cw);
    knots16(P + K * ldp, ldp, bias + K, j, mask, K, static_cast<float>(o.min_bin_height), B, ch);
    const __m512 yv = _mm512_maskz_loadu_ps(mask, y + j);
    // Bin search: the last k with y >= ch[k] (y = B falls in bin K-1, as nflows' searchsorted with its 1e-6 nudge).
    __m512 xk = cw[0], wk = _mm512_sub_ps(cw[1], cw[0]), yk = ch[0], hk = _mm512_sub_ps(ch[1], ch[0]);
    auto draw = [&](std::int64_t k) {  // raw derivative k (0 <= k < K - 1)
      return _mm512_add_ps(_mm512_maskz_loadu_ps(mask, dpar + k * ldp + j), _mm512_set1_ps(dbias[k]));
    };
    __m512 r0 = _mm512_setzero_ps(), r1 = K > 1 ? draw(0) : _mm512_setzero_ps();
    __mmask16 left_edge = 0xffff, right_edge = K > 1 ? 0 : 0xffff;  // bins whose slope is the padding constant
    for (std::int64_t k = 1; k < K; ++k) {
      const __mmask16 in = _mm512_cmp_ps_mask(yv, ch[k], _CMP_GE_OQ);
      xk = _mm512_mask_mov_ps(xk, in, cw[k]);
      wk = _mm512_mask_sub_ps(wk, in, cw[k + 1], cw[k]);
      yk = _mm512_mask_mov_ps(yk, in, ch[k]);
      hk = _mm512_mask_sub_ps(hk, in, ch[k + 1], ch[k]);
      r0 = _mm512_mask_mov_ps(r0, in, draw(k - 1));
      r1 = k + 1 < K ? _mm512_mask_mov_ps(r1, in, draw(k)) : r1;
      left_edge &= static_cast<__mmask16>(~in);
      if (k + 1 == K) right_edge |= in;
    }
    const __m512 e = _mm512_set1_ps(edge);
    const __m512 d0 = _mm512_mask_mov_ps(slope16(r0, md), left_edge, e);
    const __m512 d1 = _mm512_mask_mov_ps(slope16(r1, md), right_edge, e);
    const __m512 s = _mm512_div_ps(hk, wk);
    const __m512 curv = _mm512_sub_ps(_mm512_add_ps(d0, d1), _mm512_add_ps(s, s)), dy = _mm512_sub_ps(yv, yk);
    const __m512 a = _mm512_fmadd_ps(dy, curv, _mm512_mul_ps(hk, _mm512_sub_ps(s, d0)));
    const __m512 b = _mm512_fnmadd_ps(dy, curv, _mm512_mul_ps(hk, d0));
    const __m512 c = _mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(s, dy));
    const __m512 disc = _mm512_max_ps(_mm512_fnmadd_ps(_mm512_mul_ps(_mm512_set1_ps(4.f), a), c, _mm512_mul_ps(b, b)),
                                      _mm512_setzero_ps());
    const __m512 th = _mm512_div_ps(_mm512_add_ps(c, c), _mm512_sub_ps(_mm512_sub_ps(_mm512_setzero_ps(), b),
                                                                       _mm512_sqrt_ps(disc)));
    const __mmask16 inside = _mm512_cmp_ps_mask(yv, _mm512_set1_ps(-B), _CMP_GE_OQ) &
                             _mm512_cmp_ps_mask(yv, _mm512_set1_ps(B), _CMP_LE_OQ);
    _mm512_mask_storeu_ps(x + j, mask, _mm512_mask_mov_ps(yv, inside, _mm512_fmadd_ps(th, wk, xk)));
    if (ld) {
      const __m512 one = _mm512_set1_ps(1.f), omt = _mm512_sub_ps(one, th), t1 = _mm512_mul_ps(th, omt);
      __m512 inner = _mm512_mul_ps(d1, _mm512_mul_ps(th, th));
      inner = _mm512_fmadd_ps(_mm512_add_ps(s, s), t1, inner);
      inner = _mm512_fmadd_ps(d0, _mm512_mul_ps(omt, omt), inner);
      const __m512 num = _mm512_mul_ps(_mm512_mul_ps(s, s), inner), den = _mm512_fmadd_ps(curv, t1, s);
      // log|dx/dy| = 2 log(den) - log(num); non-positive or non-finite cases add 0 (as the float32 path's isFinite).
      const __mmask16 ok = inside & mask & _mm512_cmp_ps_mask(num, _mm512_setzero_ps(), _CMP_GT_OQ) &
                           _mm512_cmp_ps_mask(den, _mm512_setzero_ps(), _CMP_GT_OQ) &
                           _mm512_cmp_ps_mask(num, _mm512_set1_ps(3.0e38f), _CMP_LT_OQ) &
                           _mm512_cmp_ps_mask(den, _mm512_set1_ps(3.0e38f), _CMP_LT_OQ);
      const __m512 one_safe = _mm512_set1_ps(1.f);
      const __m512 log_den = log16(_mm512_mask_mov_ps(one_safe, ok, den));
      const __m512 l = _mm512_maskz_sub_ps(ok, _mm512_add_ps(log_den, log_den), log16(_mm512_mask_mov_ps(one_safe, ok, num)));
      const __mmask8 lo = static_cast<__mmask8>(mask & 0xff), hi = static_cast<__mmask8>(mask >> 8);
      _mm512_mask_storeu_pd(ld + j, lo, _mm512_add_pd(_mm512_maskz_loadu_pd(lo, ld + j),
                                                      _mm512_cvtps_pd(_mm512_castps512_ps256(l))));
      _mm512_mask_storeu_pd(ld + j + 8, hi, _mm512_add_pd(_mm512_maskz_loadu_pd(hi, ld + j + 8),
                                                          _mm512_cvtps_pd(_mm512_extractf32x8_ps(l, 1))));
    }
  }
}

}  // namespace specnet::bhb::detail
