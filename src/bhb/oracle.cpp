// The exact posterior of the BHB simulation (paper 002's priors, fakeit's Poisson law on the 240 groups) sampled by
// the Goodman-Weare ensemble (emcee's stretch move): the best any amortised posterior can do on the same metrics.
#include "specnet/bhb/oracle.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>

#include <Eigen/Dense>

#include "specnet/error.h"
#include "specnet/fit/mcmc.h"
#include "specnet/bhb/importance.h"
#include "specnet/fit/statistic.h"
#include "specnet/nn/spline_flow.h"
#include "specnet/rng.h"

namespace specnet::bhb {

ExactPosterior::ExactPosterior(const Simulation& s, const std::vector<double>& counts) : means_(s), counts_(counts) {
  const std::int64_t H = static_cast<std::int64_t>(s.fakeit.matrix.num_outputs());
  SPECNET_CHECK(static_cast<std::int64_t>(counts.size()) == H, "bhb oracle: ", counts.size(),
                " channel counts for a response with ", H, " channels");
  for (std::int64_t c = 0; c < H; ++c)
    SPECNET_CHECK(std::isfinite(counts[c]) && counts[c] >= 0, "bhb oracle: bad count ", counts[c], " in channel ", c);
  for (std::int64_t g = 0; g < s.grouping.size(); ++g) {
    double S = 0;
    for (std::int64_t c = s.grouping.first[g]; c < s.grouping.end[g]; ++c) S += counts[c];
    group_counts_.push_back(S);
  }
}

double ExactPosterior::log_prob(const double* u, Scratch& sc) const {
  if (!means_.evaluate(u, sc)) return -std::numeric_limits<double>::infinity();
  double stat = 0;
  for (std::size_t k = 0; k < group_counts_.size(); ++k) stat += fit::cstat_bin(group_counts_[k], sc.group_mean[k]);
  return -0.5 * stat;
}

namespace {

constexpr std::int64_t P = kNumParams;
// Heap-allocated (always aligned) on purpose: Eigen peels fixed-size 5 x 5 objects, which are not a multiple of 16
// bytes, at their run-time address, and the peeled and vectorised elements round differently (FMA), so with them the
// Fisher matrix varied in its last bits from one process to the next (address-space randomisation).
using Vec = Eigen::VectorXd;
using Mat = Eigen::MatrixXd;
using Point = std::array<double, kNumParams>;

// Score and Fisher information of the grouped Poisson means at u, from a forward-difference Jacobian (a backward one
// at the box's upper edge); mu (L) are the group means at u. False where neither side can be evaluated.
bool score_and_fisher(const ExactPosterior& post, ExactPosterior::Scratch& sc, const Point& u,
                      const std::vector<double>& mu, Vec& grad, Mat& fisher) {
  const std::int64_t L = post.num_groups();
  const std::vector<double>& S = post.group_counts();
  Eigen::Matrix<double, Eigen::Dynamic, P> jac(L, P);  // (L, P) d mean / d u
  for (std::int64_t p = 0; p < P; ++p) {
    double h = 1e-6 * (post.box().hi[p] - post.box().lo[p]);
    Point v = u;
    v[p] += h;
    if (!std::isfinite(post.log_prob(v.data(), sc))) {  // at the box's upper edge: step down instead
      v[p] = u[p] - h;
      h = -h;
      if (!std::isfinite(post.log_prob(v.data(), sc))) return false;
    }
    for (std::int64_t k = 0; k < L; ++k) jac(k, p) = (sc.group_mean[k] - mu[k]) / h;
  }
  grad = Vec::Zero(P);  // d log L / d u = sum (S / mu - 1) d mu / d u
  fisher = Mat::Zero(P, P);
  for (std::int64_t k = 0; k < L; ++k) {
    if (!(mu[k] > 0)) continue;
    grad += (S[k] / mu[k] - 1) * jac.row(k).transpose();
    fisher += (1 / mu[k]) * jac.row(k).transpose() * jac.row(k);
  }
  return true;
}

struct Maximum {
  double at_truth = 0, best = 0;  // log posterior at the truth and at u
  Point u{};                      // the highest point found
};

// Fisher scoring (Levenberg-Marquardt damped) from the truth, inside the prior box.
Maximum maximise_from_truth(const ExactPosterior& post, const Point& u_truth, int max_iterations) {
  ExactPosterior::Scratch sc = post.make_scratch();
  Maximum m;
  m.u = u_truth;
  m.at_truth = post.log_prob(m.u.data(), sc);
  SPECNET_CHECK(std::isfinite(m.at_truth), "bhb likelihood ratio: the truth lies outside the prior box");
  m.best = m.at_truth;
  double damping = 1e-3;
  std::vector<double> mu = sc.group_mean;  // (L) group means at m.u
  Vec grad;
  Mat fisher;
  for (int it = 0; it < max_iterations; ++it) {
    if (!score_and_fisher(post, sc, m.u, mu, grad, fisher)) break;
    bool improved = false;
    for (int t = 0; t < 12 && !improved; ++t) {
      Mat a = fisher;
      a.diagonal() *= 1 + damping;
      const Vec step = a.ldlt().solve(grad);
      Point v{};
      for (std::int64_t p = 0; p < P; ++p) v[p] = m.u[p] + step[p];
      const double lp = step.allFinite() ? post.log_prob(v.data(), sc) : -std::numeric_limits<double>::infinity();
      if (std::isfinite(lp) && lp >= m.best) {
        m.u = v;
        mu = sc.group_mean;  // the means at the new u, for the next Jacobian
        improved = lp > m.best;
        m.best = lp;
        damping = std::max(damping / 10, 1e-9);
        if (!improved) t = 12;  // converged: the step no longer raises the log posterior
      } else {
        damping *= 10;
      }
    }
    if (!improved) break;
  }
  return m;
}

}  // namespace

double truth_likelihood_ratio(const ExactPosterior& post, const std::array<double, kNumParams>& u_truth,
                              int max_iterations) {
  const Maximum m = maximise_from_truth(post, u_truth, max_iterations);
  return 2 * (m.best - m.at_truth);
}

TruthDensity truth_log_density(const ExactPosterior& post, const std::array<double, kNumParams>& u_truth,
                               const TruthDensityOptions& o) {
  SPECNET_CHECK(o.box_draws >= 1 && o.draws >= 0 && std::isfinite(o.proposal_df) && o.proposal_df > 0,
                "bhb truth density: need box_draws >= 1, draws >= 0 and proposal_df > 0 (got ", o.box_draws, ", ",
                o.draws, ", ", o.proposal_df, ")");
  const Maximum m = maximise_from_truth(post, u_truth, o.max_iterations);
  TruthDensity out;
  out.lr = 2 * (m.best - m.at_truth);
  out.u_max = m.u;
  ExactPosterior::Scratch sc = post.make_scratch();
  post.log_prob(m.u.data(), sc);
  const std::vector<double> mu = sc.group_mean;  // (L)
  Vec grad;
  Mat precision;  // (P, P) of the Laplace Gaussian in u
  if (!score_and_fisher(post, sc, m.u, mu, grad, precision)) return out;
  const PriorBox& box = post.box();
  // Plus the precision of the uniform prior over the box (variance width^2 / 12), so that a direction the data do
  // not constrain gets the prior's spread instead of an infinite one.
  for (std::int64_t p = 0; p < P; ++p) precision(p, p) += 12 / std::pow(box.hi[p] - box.lo[p], 2);
  const Eigen::LLT<Mat> llt(precision);
  if (llt.info() != Eigen::Success) return out;
  const Mat chol = llt.matrixL();  // precision = chol chol^T; u = u_max + chol^-T eps has covariance precision^-1
  double log_det = 0;
  for (std::int64_t p = 0; p < P; ++p) log_det += 2 * std::log(chol(p, p));
  const Rng rng(o.seed, 0);
  auto offset = [&](std::uint64_t block) {  // chol^-T eps for the normal draw of `block`
    Vec eps(P);
    for (std::int64_t p = 0; p < P; ++p) eps[p] = Rng::normal_from(rng.block(block * P + static_cast<std::uint64_t>(p)));
    return Vec(chol.transpose().triangularView<Eigen::Upper>().solve(eps));
  };
  auto in_box = [&](const Vec& x) {
    for (std::int64_t p = 0; p < P; ++p)
      if (!(x[p] >= box.lo[p] && x[p] <= box.hi[p])) return false;
    return true;
  };
  const Vec centre = Eigen::Map<const Vec>(m.u.data(), P);
  std::int64_t inside = 0;
  for (std::int64_t j = 0; j < o.box_draws; ++j) inside += in_box(centre + offset(static_cast<std::uint64_t>(j)));
  out.box_mass = double(inside) / double(o.box_draws);
  const double half_log_2pi = 0.5 * std::log(2 * M_PI);
  if (inside > 0) out.laplace = -0.5 * out.lr - P * half_log_2pi + 0.5 * log_det - std::log(out.box_mass);
  if (o.draws == 0) return out;
  // Importance sampling of the normaliser Z = integral of exp(log_prob - best) over the box, from a multivariate t
  // around the maximum with the Laplace scale matrix (heavier tails than the posterior's, for a bounded weight).
  std::vector<double> log_w(static_cast<std::size_t>(o.draws));  // (draws) log target - log proposal
  const std::uint64_t t_blocks = static_cast<std::uint64_t>(o.box_draws + o.draws) * P;  // after the normal blocks
  for (std::int64_t j = 0; j < o.draws; ++j) {
    const Vec eps = offset(static_cast<std::uint64_t>(o.box_draws + j));
    const double factor = nn::student_t_factor(rng, t_blocks + static_cast<std::uint64_t>(j) * nn::kStudentTBlocks,
                                               o.proposal_df);
    const Vec x = centre + factor * eps;
    const double delta2 = (chol.transpose() * (x - centre)).squaredNorm();
    const double log_q = nn::base_log_density(delta2, P, 1.0, o.proposal_df) + 0.5 * log_det;
    const double lp = in_box(x) ? post.log_prob(x.data(), sc) : -std::numeric_limits<double>::infinity();
    log_w[static_cast<std::size_t>(j)] = lp - m.best - log_q;
  }
  const RelativeWeights w = relative_weights(log_w);
  out.ess = w.ess;
  if (w.finite > 0) out.importance = (m.at_truth - m.best) - w.log_mean;
  return out;
}

double truth_likelihood_ratio(const Simulation& s, const std::vector<double>& counts,
                              const std::array<double, kNumParams>& truth) {
  std::array<double, kNumParams> u{};
  for (std::int64_t p = 0; p < kNumParams; ++p) u[p] = kParamLog[p] ? std::log10(truth[p]) : truth[p];
  return truth_likelihood_ratio(ExactPosterior(s, counts), u);
}

OracleChain oracle_chain(const Simulation& s, const Scaling& scaling, const std::vector<double>& counts,
                         const std::array<double, kNumParams>& truth, const OracleOptions& o, std::uint64_t seed) {
  SPECNET_CHECK(o.samples >= 2, "bhb oracle: samples per spectrum must be >= 2, got ", o.samples);
  SPECNET_CHECK(std::isfinite(o.start_width) && o.start_width > 0, "bhb oracle: start_width must be > 0, got ",
                o.start_width);
  SPECNET_CHECK(o.walkers >= 4 && o.steps > o.burn_in && o.burn_in >= 0, "bhb oracle: need walkers >= 4 and 0 <= ",
                "burn_in < steps (walkers ", o.walkers, ", steps ", o.steps, ", burn-in ", o.burn_in, ")");
  const std::int64_t kept = static_cast<std::int64_t>(o.steps - o.burn_in) * o.walkers, P = kNumParams;
  SPECNET_CHECK(o.samples <= kept, "bhb oracle: ", o.samples, " samples per spectrum but the chain keeps only ", kept,
                " (walkers x (steps - burn-in))");
  const ExactPosterior post(s, counts);
  const PriorBox& box = post.box();
  std::array<double, kNumParams> u0{};
  for (std::int64_t p = 0; p < P; ++p) {
    u0[p] = kParamLog[p] ? std::log10(truth[p]) : truth[p];
    SPECNET_CHECK(u0[p] >= box.lo[p] && u0[p] <= box.hi[p], "bhb oracle: true ", kParamNames[p], " = ", truth[p],
                  " lies outside the prior box");
  }
  std::vector<ExactPosterior::Scratch> scratch;  // (walkers)
  for (int w = 0; w < o.walkers; ++w) scratch.push_back(post.make_scratch());
  OracleChain out;
  out.truth_log_post = post.log_prob(u0.data(), scratch[0]);
  SPECNET_CHECK(std::isfinite(out.truth_log_post), "bhb oracle: the likelihood is not finite at the truth");
  // Start ball: Philox streams (seed, walkers + w), after the sampler's own walker streams (seed, w).
  std::vector<double> init(static_cast<std::size_t>(o.walkers) * P);  // (walkers, P)
  for (int w = 0; w < o.walkers; ++w) {
    const Rng rng(seed, static_cast<std::uint64_t>(o.walkers + w));
    for (std::int64_t p = 0; p < P; ++p) {
      const double width = box.hi[p] - box.lo[p], margin = 1e-9 * width;
      const double v = u0[p] + o.start_width * width * Rng::normal_from(rng.block(static_cast<std::uint64_t>(p)));
      init[w * P + p] = std::clamp(v, box.lo[p] + margin, box.hi[p] - margin);
    }
  }
  fit::McmcOptions mo;
  mo.walkers = o.walkers;
  mo.steps = o.steps;
  mo.burn_in = o.burn_in;
  mo.seed = seed;
  const fit::McmcResult r = fit::run_ensemble_indexed(
      [&](const double* u, int w) { return post.log_prob(u, scratch[w]); }, static_cast<int>(P), init, mo);
  out.acceptance = r.acceptance;
  for (double t : r.tau) out.max_tau = std::max(out.max_tau, std::isfinite(t) ? t : std::numeric_limits<double>::infinity());
  // Draw j: the kept (step, walker) pair j * kept / samples, step-major, so the draws span the chain and the walkers.
  out.samples.resize(o.samples * P);
  out.log_post.resize(o.samples);
  for (std::int64_t j = 0; j < o.samples; ++j) {
    const std::int64_t k = j * kept / o.samples;
    for (std::int64_t p = 0; p < P; ++p) {
      const double v = r.chain[k * P + p];
      out.samples[j * P + p] = static_cast<float>(scaling.to_scaled(p, kParamLog[p] ? std::pow(10.0, v) : v));
    }
    out.log_post[j] = static_cast<float>(r.log_prob[k]);
  }
  return out;
}

void OracleRun::append(const Scaling& scaling, const std::vector<float>& draws, const std::vector<float>& log_post,
                       double truth_log_post, const std::array<double, kNumParams>& t, std::vector<double> c) {
  post.samples.insert(post.samples.end(), draws.begin(), draws.end());
  post.log_q.insert(post.log_q.end(), log_post.begin(), log_post.end());
  for (std::int64_t p = 0; p < kNumParams; ++p) post.truth.push_back(static_cast<float>(scaling.to_scaled(p, t[p])));
  post.truth_log_q.push_back(truth_log_post);
  truth.push_back(t);
  counts.push_back(std::move(c));
}

void resimulate_record(const Simulation& s, const Dataset& d, std::int64_t i, std::vector<double>& counts,
                       std::array<double, kNumParams>& truth) {
  SPECNET_CHECK(d.header.kind == 0 || d.header.kind == 1, "bhb oracle: the set is ", dataset_kind_name(d.header.kind),
                "; the exact posterior resimulates its spectra, so it needs a synthetic or shifted set");
  SPECNET_CHECK(i >= 0 && i < d.size(), "bhb oracle: record ", i, " of a set of ", d.size());
  resimulate(s, d.index[i], counts, truth);
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    const double stored = d.params[i * kNumParams + p];
    SPECNET_CHECK(std::isfinite(stored), "bhb oracle: record ", i, " is unlabelled; the oracle needs targets");
    SPECNET_CHECK(std::abs(stored - truth[p]) <= 1e-9 * std::abs(truth[p]), "bhb oracle: record ", i, " stores ",
                  kParamNames[p], " = ", stored, " but its resimulation gives ", truth[p],
                  " (a set made with another seed or response?)");
  }
  // The writer's own sum (group_spectrum): above 2^53 counts (the brightest spectra of the prior reach 1.4e16) a sum
  // in another order rounds to another double. The tolerance: a model change at the rounding level (the fourteenth
  // session's vectorised exp moved group means by ~4e-16) can shift a huge channel mean across a step of the Poisson
  // sampler (its floor, or its rejection test, which then redraws the channel): val.bhb's record 75 came out 1 count
  // off of 1.0e15, record 244 2.8e6 off of 3.3e15 (8.6e-10). Another response moves the counts by far more than
  // 1e-6 of them, and another seed is caught by the parameters above.
  const double total = group_spectrum(s.grouping, counts.data(), nullptr, 0, s.fakeit.exposure_s, s.n_det).source_counts;
  SPECNET_CHECK(std::abs(total - d.counts[i]) <= kResimulationTolerance * d.counts[i], "bhb oracle: record ", i,
                " holds ", d.counts[i], " counts, its resimulation ", total, " (", total - d.counts[i],
                " more): a set made with another seed or response?");
}

OracleRun run_oracle(const Simulation& s, const Scaling& scaling, const Dataset& d, std::int64_t count,
                     const OracleOptions& o, const std::function<void(std::int64_t, const OracleRun&)>& progress) {
  SPECNET_CHECK(count >= 1 && count <= d.size(), "bhb oracle: count ", count, " must be in [1, ", d.size(),
                "] (the set holds ", d.size(), " records)");
  SPECNET_CHECK(o.samples >= 2, "bhb oracle: samples per spectrum must be >= 2, got ", o.samples);
  const auto t0 = std::chrono::steady_clock::now();
  const std::int64_t P = kNumParams, n = o.samples;
  OracleRun run;
  Posterior& post = run.post;
  post.N = count;
  post.n = n;
  post.samples.reserve(count * n * P);
  post.log_q.reserve(count * n);
  for (std::int64_t i = 0; i < count; ++i) {
    std::vector<double> counts;
    std::array<double, kNumParams> truth{};
    resimulate_record(s, d, i, counts, truth);
    const OracleChain c = oracle_chain(s, scaling, counts, truth, o, o.seed + static_cast<std::uint64_t>(i));
    run.append(scaling, c.samples, c.log_post, c.truth_log_post, truth, std::move(counts));
    run.acceptance.push_back(c.acceptance);
    run.max_tau.push_back(c.max_tau);
    if (progress) progress(i, run);
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  post.seconds_sample = run.seconds;
  return run;
}

}  // namespace specnet::bhb
