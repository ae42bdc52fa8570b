// The residual stage (residual.h): the first network's estimate, Pearson residuals there, the second network's
// batches and the two-stage posterior.
#include "specnet/bhb/residual.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include <Eigen/Dense>

#include "specnet/autograd.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/bhb/group_model.h"
#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/rng.h"

namespace specnet::bhb {
namespace {

constexpr std::int64_t P = kNumParams;
constexpr std::int64_t kChunk = 1024;  // spectra per sampler call in first_estimate
constexpr std::uint64_t kNoiseSeed = 0x51deba5e;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The fixed base noise of the first stage (1 + kFirstDraws, P): row 0 is the mode (zeros), then standard normals.
std::vector<float> first_noise() {
  std::vector<float> z((1 + kFirstDraws) * P, 0.0f);
  Rng rng(kNoiseSeed, 0);
  for (std::int64_t i = P; i < (1 + kFirstDraws) * P; ++i) z[i] = static_cast<float>(rng.normal());
  return z;
}

std::uint64_t fnv1a(std::uint64_t h, const void* data, std::size_t n) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

}  // namespace

double FirstEstimate::log_det(std::int64_t i) const {
  double s = 0;
  for (std::int64_t p = 0; p < P; ++p) s += std::log(double(chol[(i * P + p) * P + p]));
  return s;
}

namespace {

// The estimate of each spectrum from a flow's fixed-noise draws (first_noise) at its contexts (N, C). The draws d are
// in the frame theta = c0 + R0 d of the previous estimate `frame` (nullptr: the scaled space itself, the first
// network's case); the centre is the mode's image moved into the prior box, the covariance R0 cov(d) R0^T in double
// (a later stage's draws are far narrower than the float rounding of theta).
FirstEstimate estimate_from_flow(nn::SplineFlow& flow, const std::vector<float>& ctx, std::int64_t N, std::int64_t C,
                                 const Scaling& scaling, const PriorBox& box, const FirstEstimate* frame,
                                 FastFlowSampler::Precision precision) {
  const auto t0 = std::chrono::steady_clock::now();
  FirstEstimate e;
  e.N = N;
  const std::int64_t n = 1 + kFirstDraws;
  FastFlowSampler fast(flow, precision);
  fast.set_base(1.0, 0.0);  // the noise below is used as it is
  const std::vector<float> z1 = first_noise();
  e.center.resize(N * P);
  e.chol.resize(N * P * P);
  std::array<double, P> lo{}, hi{};  // the prior box in scaled units
  for (std::int64_t p = 0; p < P; ++p) {
    lo[p] = (box.lo[p] - scaling.mean[p]) / scaling.stdev[p];
    hi[p] = (box.hi[p] - scaling.mean[p]) / scaling.stdev[p];
  }
  std::vector<float> z, draws;
  for (std::int64_t b0 = 0; b0 < N; b0 += kChunk) {
    const std::int64_t B = std::min(kChunk, N - b0);
    z.resize(B * n * P);
    for (std::int64_t b = 0; b < B; ++b) std::copy(z1.begin(), z1.end(), z.begin() + b * n * P);
    draws.resize(B * n * P);
    fast.sample_from_noise(ctx.data() + b0 * C, B, n, z.data(), draws.data());
    parallel_for(B, 64, [&](std::int64_t i0, std::int64_t i1) {
      // Heap Eigen types: fixed 5 x 5 ones round by their run-time address (oracle.cpp).
      Eigen::MatrixXd cov(P, P), frame_R = Eigen::MatrixXd::Identity(P, P);
      Eigen::VectorXd mean(P), mode(P);
      for (std::int64_t b = i0; b < i1; ++b) {
        const float* d = &draws[b * n * P];
        for (std::int64_t p = 0; p < P; ++p) mode[p] = d[p];
        if (frame) {
          const float* c0 = &frame->center[(b0 + b) * P];
          const float* R0 = &frame->chol[(b0 + b) * P * P];
          for (std::int64_t p = 0; p < P; ++p)
            for (std::int64_t q = 0; q < P; ++q) frame_R(p, q) = R0[p * P + q];
          mode = frame_R * mode;
          for (std::int64_t p = 0; p < P; ++p) mode[p] += c0[p];
        }
        for (std::int64_t p = 0; p < P; ++p) {
          // Inside the box also after rounding to float (the model is evaluated at the float centre).
          float c = static_cast<float>(std::clamp<double>(mode[p], lo[p], hi[p]));
          auto u = [&](float v) { return double(v) * scaling.stdev[p] + scaling.mean[p]; };  // as center_residuals
          while (u(c) > box.hi[p]) c = std::nextafter(c, -INFINITY);
          while (u(c) < box.lo[p]) c = std::nextafter(c, INFINITY);
          e.center[(b0 + b) * P + p] = c;
        }
        mean.setZero();
        for (std::int64_t j = 1; j < n; ++j)
          for (std::int64_t p = 0; p < P; ++p) mean[p] += d[j * P + p];
        mean /= double(kFirstDraws);
        cov.setZero();
        for (std::int64_t j = 1; j < n; ++j)
          for (std::int64_t p = 0; p < P; ++p)
            for (std::int64_t q = 0; q < P; ++q) cov(p, q) += (d[j * P + p] - mean[p]) * (d[j * P + q] - mean[q]);
        cov /= double(kFirstDraws - 1);
        if (frame) cov = frame_R * cov * frame_R.transpose();
        for (std::int64_t p = 0; p < P; ++p) cov(p, p) += kMinFirstWidth * kMinFirstWidth;
        const Eigen::LLT<Eigen::MatrixXd> llt(cov.selfadjointView<Eigen::Lower>());
        float* R = &e.chol[(b0 + b) * P * P];
        const bool ok = llt.info() == Eigen::Success && cov.allFinite();
        for (std::int64_t p = 0; p < P; ++p)
          for (std::int64_t q = 0; q < P; ++q)
            R[p * P + q] = q > p ? 0.0f : ok ? static_cast<float>(llt.matrixL()(p, q)) : (p == q ? 1.0f : 0.0f);
        for (std::int64_t p = 0; p < P; ++p)  // float rounding must not make the diagonal vanish
          R[p * P + p] = std::max(R[p * P + p], static_cast<float>(kMinFirstWidth));
      }
    });
  }
  e.seconds = seconds_since(t0);
  return e;
}

}  // namespace

FirstEstimate first_estimate(Network& first, const Scaling& scaling, const Dataset& data, const PriorBox& box) {
  SPECNET_CHECK(data.size() > 0, "bhb residual stage: empty set");
  SPECNET_CHECK(scaling.channels() == first.config.in_channels, "bhb residual stage: the scaling gives ",
                scaling.channels(), " channels, the first network takes ", first.config.in_channels);
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> ctx = encode_all(first, scaling, data);  // (N, C)
  const double encode_s = seconds_since(t0);
  FirstEstimate e = estimate_from_flow(*first.flow, ctx, data.size(), first.config.context, scaling, box, nullptr,
                                       FastFlowSampler::Precision::f32);
  e.seconds += encode_s;
  return e;
}

FirstEstimate stage_estimate(Network& stage, const ResidualInputs& in, const PriorBox& box) {
  SPECNET_CHECK(stage.config.in_channels == in.channels(), "bhb residual stage: the stage takes ",
                stage.config.in_channels, " channels, its inputs have ", in.channels());
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t N = in.estimate().N;
  const std::vector<float> ctx = encode_all(stage, in.maker(), in.channels(), N, in.bins());  // (N, C)
  const double encode_s = seconds_since(t0);
  FirstEstimate e = estimate_from_flow(*stage.flow, ctx, N, stage.config.context, in.scaling(), box, &in.estimate(),
                                       kStagePrecision);
  e.seconds += encode_s;
  return e;
}

std::vector<float> center_residuals(const Simulation& s, const Scaling& scaling, const Dataset& data,
                                    const FirstEstimate& e, std::int64_t* failures, double* seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t N = data.size(), L = data.header.bins;
  SPECNET_CHECK(e.N == N && static_cast<std::int64_t>(e.center.size()) == N * P, "bhb residual stage: an estimate of ",
                e.N, " spectra for a set of ", N);
  SPECNET_CHECK(L == s.grouping.size(), "bhb residual stage: the set has ", L, " bins, the simulation's grouping ",
                s.grouping.size());
  SPECNET_CHECK(data.header.exposure_s == s.fakeit.exposure_s && data.header.n_det == s.n_det,
                "bhb residual stage: the set was made with exposure ", data.header.exposure_s, " s and ",
                data.header.n_det, " detectors, the simulation has ", s.fakeit.exposure_s, " s and ", s.n_det);
  const GroupModel means(s);
  const BinGrouping& g = s.grouping;
  std::vector<double> to_counts(L), background(L, 0.0);  // (L) rate -> counts factor; r B_g
  for (std::int64_t k = 0; k < L; ++k) {
    to_counts[k] = s.fakeit.exposure_s * s.n_det * (g.e_hi_kev[k] - g.e_lo_kev[k]);
    for (std::int64_t c = g.first[k]; c < g.end[k]; ++c) background[k] += s.bkg_ratio * s.background_counts[c];
  }
  std::vector<float> r(N * L, 0.0f);
  std::vector<unsigned char> failed(N, 0);
  parallel_for(N, 16, [&](std::int64_t i0, std::int64_t i1) {
    GroupModel::Scratch sc = means.make_scratch();
    std::array<double, P> u{};
    for (std::int64_t i = i0; i < i1; ++i) {
      for (std::int64_t p = 0; p < P; ++p) u[p] = double(e.center[i * P + p]) * scaling.stdev[p] + scaling.mean[p];
      if (!means.evaluate(u.data(), sc)) {
        failed[i] = 1;
        continue;
      }
      for (std::int64_t k = 0; k < L; ++k) {
        const double S = double(data.rate[i * L + k]) * to_counts[k] + background[k], m = sc.group_mean[k];
        r[i * L + k] = static_cast<float>((S - m) / std::sqrt(std::max(m, 1.0)));
      }
    }
  });
  if (failures) *failures = std::accumulate(failed.begin(), failed.end(), std::int64_t{0});
  if (seconds) *seconds = seconds_since(t0);
  return r;
}

ResidualInputs::ResidualInputs(const Scaling& scaling, const Dataset& set, FirstEstimate estimate,
                               std::vector<float> residuals)
    : scaling_(&scaling), set_(&set), est_(std::move(estimate)), residuals_(std::move(residuals)) {
  SPECNET_CHECK(est_.N == set.size() && static_cast<std::int64_t>(residuals_.size()) == set.size() * set.header.bins,
                "bhb residual stage: an estimate of ", est_.N, " spectra and ", residuals_.size(),
                " residuals for a set of ", set.size(), " x ", set.header.bins);
}

void ResidualInputs::make(const std::int64_t* rows, std::int64_t n, float* x, float* theta) const {
  const std::int64_t L = set_->header.bins, K1 = scaling_->channels(), K = channels();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t row = rows[i];
    SPECNET_CHECK(row >= 0 && row < set_->size(), "bhb residual stage: row ", row, " out of a set of ", set_->size());
    float* xi = x + i * K * L;
    float t[P];
    scaling_->spectra(*set_, row, 1, xi, t);
    const float* r = &residuals_[row * L];
    for (std::int64_t l = 0; l < L; ++l) xi[K1 * L + l] = static_cast<float>(std::asinh(double(r[l])) / kResidualScale);
    const float* c = &est_.center[row * P];
    const float* R = &est_.chol[row * P * P];
    float* constant = xi + (K1 + 1) * L;  // the channels constant along the bins
    std::int64_t k = 0;
    for (std::int64_t p = 0; p < P; ++p) std::fill_n(constant + (k++) * L, L, c[p]);
    for (std::int64_t p = 0; p < P; ++p) std::fill_n(constant + (k++) * L, L, static_cast<float>(std::log10(double(R[p * P + p]))));
    for (std::int64_t p = 1; p < P; ++p) {
      double var = 0;  // Sigma_pp
      for (std::int64_t q = 0; q <= p; ++q) var += double(R[p * P + q]) * R[p * P + q];
      for (std::int64_t q = 0; q < p; ++q) std::fill_n(constant + (k++) * L, L, static_cast<float>(R[p * P + q] / std::sqrt(var)));
    }
    if (theta) whiten(row, t, theta + i * P);
  }
}

void ResidualInputs::whiten(std::int64_t row, const float* t, float* u) const {
  const float* c = &est_.center[row * P];
  const float* R = &est_.chol[row * P * P];
  for (std::int64_t p = 0; p < P; ++p) {
    double v = double(t[p]) - c[p];
    for (std::int64_t q = 0; q < p; ++q) v -= double(R[p * P + q]) * u[q];
    u[p] = static_cast<float>(v / R[p * P + p]);
  }
}

std::vector<float> ResidualInputs::targets() const {
  const std::int64_t N = set_->size();
  std::vector<float> u(N * P);  // (N, P)
  for (std::int64_t i = 0; i < N; ++i) {
    float t[P];
    for (std::int64_t p = 0; p < P; ++p) t[p] = static_cast<float>(scaling_->to_scaled(p, set_->params[i * P + p]));
    whiten(i, t, &u[i * P]);
  }
  return u;
}

BatchMaker ResidualInputs::maker() const {
  return [this](const std::int64_t* rows, std::int64_t n, float* x, float* theta) { make(rows, n, x, theta); };
}

ResidualInputs residual_inputs(const Chain& chain, const Scaling& scaling, const Simulation& s, const Dataset& set,
                               bool progress) {
  SPECNET_CHECK(!chain.empty(), "bhb residual stage: an empty chain of networks");
  const PriorBox box = prior_box(s);
  auto inputs_at = [&](FirstEstimate e, std::size_t depth) {
    std::int64_t failures = 0;
    double seconds = 0;
    std::vector<float> r = center_residuals(s, scaling, set, e, &failures, &seconds);
    if (progress) {
      // The next flow's NLL in u plus this mean is its NLL in the first network's scaled space (comparable with the
      // first network's validation loss).
      double log_w = 0;
      for (std::int64_t i = 0; i < e.N; ++i) log_w += e.log_det(i);
      std::printf("bhb residual stage: %lld spectra, network %zu's estimate %.1f s, residuals %.1f s (%lld centres "
                  "where the model fails: zero residuals); mean sum_p log R_pp %.4f\n",
                  (long long)set.size(), depth, e.seconds, seconds, (long long)failures, log_w / double(set.size()));
    }
    return ResidualInputs(scaling, set, std::move(e), std::move(r));
  };
  ResidualInputs in = inputs_at(first_estimate(*chain[0], scaling, set, box), 1);
  for (std::size_t k = 1; k < chain.size(); ++k) in = inputs_at(stage_estimate(*chain[k], in, box), k + 1);
  return in;
}

std::string weights_digest(Network& net) {
  std::uint64_t h = 14695981039346656037ull;
  for (auto& [name, t] : net.state_dict()) {
    h = fnv1a(h, name.data(), name.size());
    for (std::int64_t d : t.shape()) h = fnv1a(h, &d, sizeof d);
    const std::vector<double> v = t.to(Device::cpu).to_vector();
    h = fnv1a(h, v.data(), v.size() * sizeof(double));
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool is_residual_stage(const std::map<std::string, std::string>& m) { return m.count("residual.first") > 0; }

void check_residual_pair(Network& first, const std::map<std::string, std::string>& m, const std::string& second_path) {
  SPECNET_CHECK(is_residual_stage(m), "bhb residual stage: ", second_path,
                " is not a residual stage's checkpoint (no residual.first entry)");
  const std::string want = m.at("residual.first"), have = weights_digest(first);
  SPECNET_CHECK(want == have, "bhb residual stage: ", second_path, " was trained on the network with weights ", want,
                "; the network before it in the chain has ", have, " (the first network, then the stages in order)");
}

Posterior residual_posterior(const Chain& chain, const Scaling& scaling, const Simulation& s, const Dataset& data,
                             std::int64_t n, std::uint64_t seed, FastFlowSampler::Precision precision,
                             bool truth_density) {
  SPECNET_CHECK(n > 0 && data.size() > 0, "bhb posterior: need n > 0 draws and a non-empty set");
  SPECNET_CHECK(chain.size() >= 2, "bhb residual stage: a chain of ", chain.size(),
                " networks (the first network and at least one residual stage)");
  Network& second = *chain.back();
  SPECNET_CHECK(second.config.in_channels == residual_channels(scaling), "bhb residual stage: the second network takes ",
                second.config.in_channels, " channels, the residual stage gives ", residual_channels(scaling));
  const auto t0 = std::chrono::steady_clock::now();
  const ResidualInputs in = residual_inputs(Chain(chain.begin(), chain.end() - 1), scaling, s, data);
  const std::int64_t N = data.size(), L = data.header.bins, C = second.config.context;
  const std::vector<float> ctx = encode_all(second, in.maker(), in.channels(), N, L);  // (N, C)
  const auto t1 = std::chrono::steady_clock::now();
  Posterior post;
  post.N = N;
  post.n = n;
  post.samples.resize(N * n * P);
  post.log_q.resize(N * n);
  FastFlowSampler fast(*second.flow, precision);
  fast.sample(ctx.data(), N, n, seed, post.samples.data(), post.log_q.data());
  const FirstEstimate& e = in.estimate();
  parallel_for(N, 64, [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      const double log_det = e.log_det(i);
      const float* c = &e.center[i * P];
      const float* R = &e.chol[i * P * P];
      for (std::int64_t j = 0; j < n; ++j) {
        float* d = &post.samples[(i * n + j) * P];
        float th[P];
        for (std::int64_t p = 0; p < P; ++p) {
          double v = c[p];
          for (std::int64_t q = 0; q <= p; ++q) v += double(R[p * P + q]) * d[q];
          th[p] = static_cast<float>(v);
        }
        std::copy(th, th + P, d);
        post.log_q[i * n + j] = static_cast<float>(post.log_q[i * n + j] - log_det);
      }
    }
  });
  post.seconds_encode = std::chrono::duration<double>(t1 - t0).count();
  post.seconds_sample = seconds_since(t1);
  if (!truth_density) return post;
  // log q at the targets: u of the truth under the second flow, minus log det R. Unlabelled records get NaN.
  post.truth.resize(N * P);
  std::vector<float> u = in.targets();  // (N, P)
  std::vector<bool> labelled(N, true);
  for (std::int64_t i = 0; i < N; ++i)
    for (std::int64_t p = 0; p < P; ++p) {
      post.truth[i * P + p] = static_cast<float>(scaling.to_scaled(p, data.params[i * P + p]));
      if (!std::isfinite(u[i * P + p])) labelled[i] = false, u[i * P + p] = 0;
    }
  post.truth_log_q.assign(N, std::nan(""));
  if (std::none_of(labelled.begin(), labelled.end(), [](bool b) { return b; })) return post;
  NoGradGuard ng;
  second.eval();
  const auto lq = second.flow->log_prob(Tensor::from_vector(u, {N, P}), Tensor::from_vector(ctx, {N, C})).to_vector();
  for (std::int64_t i = 0; i < N; ++i)
    if (labelled[i]) post.truth_log_q[i] = lq[i] - e.log_det(i);
  return post;
}

}  // namespace specnet::bhb
