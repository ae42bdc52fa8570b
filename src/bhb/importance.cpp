// Neural importance sampling: the network's posterior draws reweighted by the exact posterior of the simulation
// (prior box x the Poisson law of the grouped counts, as the oracle) or by a spectrum's fit posterior, and resampled.
#include "specnet/bhb/importance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include <Eigen/Dense>

#include "specnet/context.h"
#include "specnet/fit/statistic.h"
#include "specnet/error.h"
#include "specnet/rng.h"

namespace specnet::bhb {

RelativeWeights relative_weights(const std::vector<double>& log_w) {
  RelativeWeights r;
  const std::size_t n = log_w.size();
  double max_lw = -std::numeric_limits<double>::infinity();
  for (double x : log_w)
    if (std::isfinite(x)) {
      ++r.finite;
      max_lw = std::max(max_lw, x);
    }
  r.w.assign(n, 0.0);
  if (r.finite == 0) {
    r.log_mean = -std::numeric_limits<double>::infinity();
    return r;
  }
  // Weights relative to the largest, so that exp neither overflows nor underflows to all zeros.
  double sum2 = 0;
  for (std::size_t j = 0; j < n; ++j) {
    r.w[j] = std::isfinite(log_w[j]) ? std::exp(log_w[j] - max_lw) : 0.0;
    r.sum += r.w[j];
    sum2 += r.w[j] * r.w[j];
  }
  r.ess = r.sum * r.sum / sum2;
  r.log_mean = max_lw + std::log(r.sum / static_cast<double>(n));
  return r;
}

ImportanceWeights importance_weights(const double* log_target, const float* log_q, std::int64_t n, std::int64_t n_out,
                                     std::uint64_t seed) {
  SPECNET_CHECK(n >= 1 && n_out >= 1, "importance sampling: need >= 1 proposal and >= 1 draw, got ", n, " and ", n_out);
  std::vector<double> lw(n);  // (n) log raw weights
  for (std::int64_t j = 0; j < n; ++j) {
    SPECNET_CHECK(std::isfinite(log_q[j]), "importance sampling: proposal ", j, " has log q = ", log_q[j]);
    SPECNET_CHECK(!std::isnan(log_target[j]) && log_target[j] != std::numeric_limits<double>::infinity(),
                  "importance sampling: proposal ", j, " has log target = ", log_target[j]);
    lw[j] = log_target[j] - static_cast<double>(log_q[j]);
  }
  const RelativeWeights rw = relative_weights(lw);
  SPECNET_CHECK(rw.finite > 0, "importance sampling: all ", n, " proposals lie outside the prior (log target -inf)");
  ImportanceWeights r;
  r.finite = rw.finite;
  r.ess = rw.ess;
  r.log_evidence = rw.log_mean;
  const std::vector<double>& w = rw.w;  // (n)
  const double sum = rw.sum;
  // Systematic resampling: draw k takes the proposal whose cumulative weight first exceeds (k + u) / n_out.
  const double u = Rng::uniform_from(Rng(seed, 0).block(0));
  r.pick.resize(n_out);
  std::int64_t j = 0;
  double cum = w[0];
  for (std::int64_t k = 0; k < n_out; ++k) {
    const double target = (static_cast<double>(k) + u) / static_cast<double>(n_out) * sum;
    while (cum <= target && j + 1 < n) cum += w[++j];
    while (w[j] == 0.0) --j;  // only when rounding left cum just below the last targets: take the last weighted one
    r.pick[k] = j;
  }
  return r;
}

namespace {

constexpr std::int64_t P = kNumParams;

// log_target (n) of the proposals (n, P) in `scaling`'s space under ExactPosterior or SpectrumPosterior. Chunks of 32
// proposals, each with its own model copy: the values do not depend on how the chunks fall.
template <class Target>
std::vector<double> target_log_post(const Target& post, const Scaling& scaling, const float* draws, std::int64_t n) {
  std::vector<double> log_target(n);  // (n)
  parallel_for(n, 32, [&](std::int64_t b, std::int64_t e) {
    typename Target::Scratch sc = post.make_scratch();
    double u[P];
    for (std::int64_t j = b; j < e; ++j) {
      for (std::int64_t p = 0; p < P; ++p)
        u[p] = static_cast<double>(draws[j * P + p]) * scaling.stdev[p] + scaling.mean[p];
      log_target[j] = post.log_prob(u, sc);
    }
  });
  return log_target;
}

// Heap-allocated (always aligned) on purpose: Eigen peels fixed-size 5 x 5 objects, which are not a multiple of 16
// bytes, at their run-time address, and the peeled and vectorised elements round differently (FMA), so results would
// vary in their last bits from one process to the next (address-space randomisation).
using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;

// Mean and covariance of the draws (n, P) with weights w (n, >= 0, not all 0).
void moments(const float* draws, const std::vector<double>& w, Vec& mean, Mat& cov) {
  const std::int64_t n = static_cast<std::int64_t>(w.size());
  double sw = 0;
  mean = Vec::Zero(P);
  for (std::int64_t j = 0; j < n; ++j) {
    sw += w[j];
    for (std::int64_t p = 0; p < P; ++p) mean[p] += w[j] * draws[j * P + p];
  }
  mean /= sw;
  cov = Mat::Zero(P, P);
  for (std::int64_t j = 0; j < n; ++j) {
    if (w[j] == 0) continue;
    Vec d(P);
    for (std::int64_t p = 0; p < P; ++p) d[p] = draws[j * P + p] - mean[p];
    cov += (w[j] / sw) * d * d.transpose();
  }
}

// Lower Cholesky factor of a covariance, its diagonal floored from 1e-12 of the largest variance upwards until it
// factors, so that a collapsed set of draws still gives a proper density.
Mat floored_cholesky(Mat s) {
  const double floor = 1e-12 * std::max(1e-300, s.diagonal().maxCoeff());
  for (int attempt = 0;; ++attempt) {
    Eigen::LLT<Mat> llt(s);
    if (llt.info() == Eigen::Success) return llt.matrixL();
    SPECNET_CHECK(attempt < 40, "importance sampling: the proposal's covariance is not positive definite");
    s.diagonal().array() += floor * std::pow(10.0, attempt);
  }
}

// A multivariate Student-t proposal in the scaled space.
struct StudentT {
  Vec mean;
  Mat chol;  // lower Cholesky factor of the scale matrix
  double dof = 5, log_norm = 0;

  StudentT(const Vec& m, const Mat& scale, double nu) : mean(m), chol(floored_cholesky(scale)), dof(nu) {
    log_norm = std::lgamma(0.5 * (dof + P)) - std::lgamma(0.5 * dof) - 0.5 * P * std::log(dof * M_PI) -
               chol.diagonal().array().log().sum();
  }
  // Draw j of stream (seed, stream): P normals from blocks j * 16 + p, dof chi-square normals from blocks
  // j * 16 + 8 + k (dof <= 8 as an integer; a fractional dof is not needed).
  void draw(const Rng& rng, std::int64_t j, float* x) const {
    Vec z(P);
    for (std::int64_t p = 0; p < P; ++p) z[p] = Rng::normal_from(rng.block(static_cast<std::uint64_t>(j * 16 + p)));
    double chi2 = 0;
    for (int k = 0; k < static_cast<int>(dof); ++k) {
      const double g = Rng::normal_from(rng.block(static_cast<std::uint64_t>(j * 16 + 8 + k)));
      chi2 += g * g;
    }
    const Vec v = mean + chol * z * std::sqrt(dof / chi2);
    for (std::int64_t p = 0; p < P; ++p) x[p] = static_cast<float>(v[p]);
  }
  double log_density(const Vec& x) const {
    const Vec y = chol.triangularView<Eigen::Lower>().solve(x - mean);
    return log_norm - 0.5 * (dof + P) * std::log1p(y.squaredNorm() / dof);
  }
};

template <class Target>
ImportanceDraws resample_rounds(const Target& post, const Scaling& scaling, const float* draws, const float* log_q,
                                std::int64_t n, std::int64_t n_out, std::uint64_t seed, const RefineOptions& o) {
  SPECNET_CHECK(o.rounds >= 0 && o.elite > 0 && o.elite <= 1 && o.min_ess >= 1 && o.stop_ess_fraction > 0 &&
                    o.dof >= 1 && o.dof <= 8 && o.dof == std::floor(o.dof),
                "importance sampling: bad refine options (rounds ", o.rounds, ", elite ", o.elite, ", min ESS ",
                o.min_ess, ", stop fraction ", o.stop_ess_fraction, ", dof ", o.dof, ": an integer in [1, 8])");
  // Round 0: the network's draws, reweighted on their own (the flow's density is not known at other points).
  std::vector<double> lt0 = target_log_post(post, scaling, draws, n);
  ImportanceDraws out;
  // A spectrum far from the training set can put every draw outside the prior box (the flow's tails are not
  // bounded). The rounds then start from the draws with each coordinate outside the box redrawn uniformly inside it:
  // the network's other coordinates still guide the first cross-entropy step.
  std::vector<float> repaired;  // (n, P)
  const bool search = std::none_of(lt0.begin(), lt0.end(), [](double v) { return std::isfinite(v); });
  if (search) {
    SPECNET_CHECK(o.rounds > 0, "importance sampling: all ", n, " network draws lie outside the prior box or where "
                  "the model fails (a spectrum far from the training set); adaptive rounds can search from them");
    const PriorBox& box = post.box();
    const Rng rng(seed, std::uint64_t{1} << 32);
    repaired.assign(draws, draws + n * P);
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t p = 0; p < P; ++p) {
        const double lo = (box.lo[p] - scaling.mean[p]) / scaling.stdev[p], hi = (box.hi[p] - scaling.mean[p]) / scaling.stdev[p];
        float& v = repaired[j * P + p];
        if (!(v >= lo && v <= hi))
          v = static_cast<float>(lo + (hi - lo) * Rng::uniform_from(rng.block(static_cast<std::uint64_t>(j * P + p))));
      }
    draws = repaired.data();
    lt0 = target_log_post(post, scaling, draws, n);
  }
  ImportanceWeights w = importance_weights(lt0.data(), log_q, n, n_out, seed);
  out.network_ess = search ? 0.0 : w.ess;
  if (search) w.ess = 0;  // no weights to trust: the first round is a cross-entropy step
  const std::int64_t n_elite = std::max<std::int64_t>(2 * P + 2, static_cast<std::int64_t>(o.elite * n));
  // Adaptive rounds pool all their draws (AMIS, Cornuet et al. 2012): each draw is weighted against the equal
  // mixture of every round's Student-t, so a round that missed only dilutes, and the ESS accumulates over rounds.
  std::vector<float> x;           // (rounds x n, P) pooled adaptive draws
  std::vector<double> lt;         // (rounds x n) their exact log posterior
  std::vector<StudentT> props;    // (rounds)
  std::vector<float> mix;         // (rounds x n) log of the mixture density at each pooled draw
  // Moment source of the next round: the network's draws, then the pool.
  const float* src = draws;
  const double* src_lt = lt0.data();
  const float* src_lq = log_q;
  std::int64_t m = n;
  bool may_stop = true;  // the network's draws, when they suffice, need no round
  for (int r = 1; r <= o.rounds; ++r) {
    if (may_stop && w.ess >= o.stop_ess_fraction * static_cast<double>(n)) break;
    std::vector<double> wt(m, 0.0);  // (m) moment weights
    may_stop = w.ess >= o.min_ess;
    if (may_stop) {
      double mx = -std::numeric_limits<double>::infinity();
      for (std::int64_t j = 0; j < m; ++j) mx = std::max(mx, src_lt[j] - src_lq[j]);
      for (std::int64_t j = 0; j < m; ++j) wt[j] = std::isfinite(src_lt[j]) ? std::exp(src_lt[j] - src_lq[j] - mx) : 0.0;
    } else {  // cross-entropy step: the elite by exact posterior, unweighted
      std::vector<std::int64_t> order(m);
      for (std::int64_t j = 0; j < m; ++j) order[j] = j;
      std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return src_lt[a] > src_lt[b]; });
      for (std::int64_t k = 0; k < std::min(n_elite, w.finite); ++k) wt[order[k]] = 1.0;
    }
    Vec mean;
    Mat cov;
    moments(src, wt, mean, cov);
    props.emplace_back(mean, cov, o.dof);
    const Rng rng(seed, static_cast<std::uint64_t>(r));
    const std::int64_t base = static_cast<std::int64_t>(lt.size());
    x.resize((base + n) * P);
    for (std::int64_t j = 0; j < n; ++j) props.back().draw(rng, j, &x[(base + j) * P]);
    const std::vector<double> lt_new = target_log_post(post, scaling, &x[base * P], n);
    lt.insert(lt.end(), lt_new.begin(), lt_new.end());
    // Mixture density of every pooled draw under the rounds so far (log-sum-exp).
    m = static_cast<std::int64_t>(lt.size());
    mix.assign(m, 0.0f);
    for (std::int64_t j = 0; j < m; ++j) {
      Vec v(P);
      for (std::int64_t p = 0; p < P; ++p) v[p] = x[j * P + p];
      double lmax = -std::numeric_limits<double>::infinity(), acc = 0;
      std::vector<double> l(props.size());
      for (std::size_t k = 0; k < props.size(); ++k) lmax = std::max(lmax, l[k] = props[k].log_density(v));
      for (double lk : l) acc += std::exp(lk - lmax);
      mix[j] = static_cast<float>(lmax + std::log(acc / static_cast<double>(props.size())));
    }
    w = importance_weights(lt.data(), mix.data(), m, n_out, seed + static_cast<std::uint64_t>(r));
    src = x.data();
    src_lt = lt.data();
    src_lq = mix.data();  // mix is rebuilt only after the next round has read it
    out.rounds = r;
  }
  out.weights = w;
  const float* xs = out.rounds > 0 ? x.data() : draws;
  const double* ls = out.rounds > 0 ? lt.data() : lt0.data();
  out.samples.resize(n_out * P);
  out.log_post.resize(n_out);
  for (std::int64_t k = 0; k < n_out; ++k) {
    const std::int64_t j = w.pick[k];
    std::copy(xs + j * P, xs + (j + 1) * P, out.samples.begin() + k * P);
    out.log_post[k] = static_cast<float>(ls[j]);
  }
  return out;
}

// n Gaussian proposals (n, P) in `scaling`'s space around u (unscaled), each coordinate with a standard deviation of
// 2% of the prior box's width, and their log density (n).
void box_gaussian(const Scaling& scaling, const PriorBox& box, const std::array<double, P>& u, std::int64_t n,
                  std::uint64_t seed, std::vector<float>& x, std::vector<float>& log_q) {
  const Rng rng(seed, std::uint64_t{1} << 33);
  x.resize(n * P);
  log_q.assign(n, 0.0f);
  for (std::int64_t j = 0; j < n; ++j) {
    double lq = 0;
    for (std::int64_t p = 0; p < P; ++p) {
      const double sd = 0.02 * (box.hi[p] - box.lo[p]) / scaling.stdev[p], centre = (u[p] - scaling.mean[p]) / scaling.stdev[p];
      x[j * P + p] = static_cast<float>(centre + sd * Rng::normal_from(rng.block(static_cast<std::uint64_t>(j * P + p))));
      const double z = (x[j * P + p] - centre) / sd;  // of the stored (float) draw
      lq += -0.5 * z * z - std::log(sd) - 0.5 * std::log(2 * M_PI);
    }
    log_q[j] = static_cast<float>(lq);
  }
}

std::unique_ptr<fit::FitProblem> fit_problem_for(const ExactPosterior& post) {
  return simulation_problem(post.simulation(), post.counts());
}
std::unique_ptr<fit::FitProblem> fit_problem_for(const SpectrumPosterior& post) {
  return std::make_unique<fit::FitProblem>(post.problem());
}

template <class Target>
ImportanceDraws rounds_and_fit_check(const Target& post, const Scaling& scaling, const float* draws,
                                     const float* log_q, std::int64_t n, std::int64_t n_out, std::uint64_t seed,
                                     const RefineOptions& o) {
  ImportanceDraws r = resample_rounds(post, scaling, draws, log_q, n, n_out, seed, o);
  if (o.fit_iterations == 0) return r;
  FitCheck& fc = r.fit;
  const auto prob = fit_problem_for(post);
  // Fits from the median of resampled draws (n_out, P); returns the statistic.
  const auto fit_from = [&](const std::vector<float>& samples, std::array<double, P>& theta) {
    std::array<double, P> start{};  // physical
    std::vector<float> v(n_out);
    for (std::int64_t p = 0; p < P; ++p) {
      for (std::int64_t k = 0; k < n_out; ++k) v[k] = samples[k * P + p];
      std::nth_element(v.begin(), v.begin() + n_out / 2, v.end());
      start[p] = scaling.to_physical(p, v[n_out / 2]);
    }
    return fit_problem(*prob, o.fit_iterations, theta, &start).statistic;
  };
  const std::int64_t dof = fit::degrees_of_freedom(prob->data(), prob->num_free());
  fc.ran = true;
  fc.reduced_statistic = fit::reduced_statistic(fit_from(r.samples, fc.theta), dof);
  const PriorBox& box = post.box();
  std::array<double, P> u{};
  for (std::int64_t p = 0; p < P; ++p)
    u[p] = std::clamp(kParamLog[p] ? std::log10(std::max(fc.theta[p], 1e-300)) : fc.theta[p], box.lo[p], box.hi[p]);
  typename Target::Scratch sc = post.make_scratch();
  fc.log_post_gain = post.log_prob(u.data(), sc) - *std::max_element(r.log_post.begin(), r.log_post.end());
  if (fc.log_post_gain > 1 && o.rounds > 0) {
    std::vector<float> x, lq;
    box_gaussian(scaling, box, u, n, seed, x, lq);
    ImportanceDraws again = resample_rounds(post, scaling, x.data(), lq.data(), n, n_out, seed, o);
    fc.restart = 1;
    if (again.weights.log_evidence > r.weights.log_evidence) {
      again.network_ess = r.network_ess;
      again.fit = fc;
      again.fit.restart = 2;
      // The restarted draws may sit in a better basin than the fit that triggered them: fit again from their
      // median and keep the better fit.
      std::array<double, P> theta{};
      const double stat = fit::reduced_statistic(fit_from(again.samples, theta), dof);
      if (stat < fc.reduced_statistic) again.fit.theta = theta, again.fit.reduced_statistic = stat;
      return again;
    }
  }
  return r;
}

// Resample-move (Gilks and Berzuini 2001): o.move_steps random-walk Metropolis steps on every resampled draw,
// with the draws' covariance scaled by 2.38^2 / P. Each step leaves the target invariant, so the draws keep
// following it while the duplicates of systematic resampling spread out and reach tails (curved or cut posteriors)
// that the Student-t proposals under-sample. Draw k's step s uses Philox stream (seed, 2^34 + s), block k.
template <class Target>
void move_draws(const Target& post, const Scaling& scaling, ImportanceDraws& r, int steps, std::uint64_t seed) {
  const std::int64_t m = static_cast<std::int64_t>(r.log_post.size());
  Vec mean;
  Mat cov;
  moments(r.samples.data(), std::vector<double>(m, 1.0), mean, cov);
  const Mat chol = floored_cholesky(cov * (2.38 * 2.38 / P));
  std::vector<float> x(m * P);  // (m, P) proposed
  std::int64_t accepted = 0;
  for (int st = 0; st < steps; ++st) {
    const Rng rng(seed, (std::uint64_t{1} << 34) + static_cast<std::uint64_t>(st));
    for (std::int64_t k = 0; k < m; ++k) {
      Vec z(P);
      for (std::int64_t p = 0; p < P; ++p) z[p] = Rng::normal_from(rng.block(static_cast<std::uint64_t>(k * 8 + p)));
      const Vec d = chol * z;
      for (std::int64_t p = 0; p < P; ++p) x[k * P + p] = static_cast<float>(r.samples[k * P + p] + d[p]);
    }
    const std::vector<double> lp = target_log_post(post, scaling, x.data(), m);
    for (std::int64_t k = 0; k < m; ++k) {
      const double u = Rng::uniform_from(rng.block(static_cast<std::uint64_t>(k * 8 + 7)));
      if (std::isfinite(lp[k]) && std::log(u) < lp[k] - static_cast<double>(r.log_post[k])) {
        std::copy(&x[k * P], &x[(k + 1) * P], &r.samples[k * P]);
        r.log_post[k] = static_cast<float>(lp[k]);
        ++accepted;
      }
    }
  }
  r.move_acceptance = static_cast<double>(accepted) / static_cast<double>(std::max<std::int64_t>(1, m * steps));
}

template <class Target>
ImportanceDraws resample(const Target& post, const Scaling& scaling, const float* draws, const float* log_q,
                         std::int64_t n, std::int64_t n_out, std::uint64_t seed, const RefineOptions& o) {
  SPECNET_CHECK(o.fit_iterations >= 0 && o.move_steps >= 0, "importance sampling: fit iterations and move steps must "
                "be >= 0, got ", o.fit_iterations, " and ", o.move_steps);
  ImportanceDraws r = rounds_and_fit_check(post, scaling, draws, log_q, n, n_out, seed, o);
  if (o.move_steps > 0) move_draws(post, scaling, r, o.move_steps, seed);
  return r;
}

}  // namespace

ImportanceDraws importance_resample(const ExactPosterior& post, const Scaling& scaling, const float* draws,
                                    const float* log_q, std::int64_t n, std::int64_t n_out, std::uint64_t seed,
                                    const RefineOptions& o) {
  return resample(post, scaling, draws, log_q, n, n_out, seed, o);
}

ImportanceDraws importance_resample(const SpectrumPosterior& post, const Scaling& scaling, const float* draws,
                                    const float* log_q, std::int64_t n, std::int64_t n_out, std::uint64_t seed,
                                    const RefineOptions& o) {
  return resample(post, scaling, draws, log_q, n, n_out, seed, o);
}

OracleRun run_importance(const Simulation& s, const Scaling& scaling, const Dataset& d, std::int64_t count,
                         const Posterior& proposal, std::int64_t n_out, std::uint64_t seed, const RefineOptions& o,
                         const std::function<void(std::int64_t, const OracleRun&)>& progress) {
  SPECNET_CHECK(count >= 1 && count <= d.size(), "bhb importance: count ", count, " must be in [1, ", d.size(),
                "] (the set holds ", d.size(), " records)");
  SPECNET_CHECK(proposal.N >= count && proposal.n >= 1, "bhb importance: the proposal holds ", proposal.N,
                " spectra x ", proposal.n, " draws, need ", count, " spectra");
  SPECNET_CHECK(n_out >= 2, "bhb importance: draws per spectrum must be >= 2, got ", n_out);
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t n = proposal.n;
  OracleRun run;
  Posterior& post = run.post;
  post.N = count;
  post.n = n_out;
  for (std::int64_t i = 0; i < count; ++i) {
    std::vector<double> counts;
    std::array<double, kNumParams> truth{};
    resimulate_record(s, d, i, counts, truth);
    const ExactPosterior exact(s, counts);
    const ImportanceDraws r = importance_resample(exact, scaling, &proposal.samples[i * n * P], &proposal.log_q[i * n],
                                                  n, n_out, seed + static_cast<std::uint64_t>(i), o);
    std::array<double, kNumParams> u{};
    for (std::int64_t p = 0; p < P; ++p) u[p] = kParamLog[p] ? std::log10(truth[p]) : truth[p];
    ExactPosterior::Scratch sc = exact.make_scratch();
    run.append(scaling, r.samples, r.log_post, exact.log_prob(u.data(), sc), truth, std::move(counts));
    run.ess.push_back(r.weights.ess);
    run.network_ess.push_back(r.network_ess);
    run.rounds.push_back(r.rounds);
    run.restart.push_back(r.fit.restart);
    if (progress) progress(i, run);
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  post.seconds_sample = run.seconds;
  return run;
}

}  // namespace specnet::bhb
