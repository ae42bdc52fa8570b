// Metrics for the spectral-posterior network (paper 002 section 4): PCC, HPD coverage from the flow's own density,
// PG-stat at the posterior median vs a fit vs the truth, and emcee-style MCMC posteriors for comparison.
#include "specnet/bhb/evaluate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "specnet/autograd.h"
#include "specnet/bhb/fast_sampler.h"
#include "specnet/bhb/spectrum_posterior.h"
#include "specnet/bhb/train.h"
#include "specnet/fit/mcmc.h"

namespace specnet::bhb {

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  SPECNET_CHECK(a.size() == b.size() && a.size() >= 2, "pearson: need two samples of equal length >= 2, got ",
                a.size(), " and ", b.size());
  double ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) ma += a[i], mb += b[i];
  ma /= a.size();
  mb /= b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  SPECNET_CHECK(saa > 0 && sbb > 0 && std::isfinite(sab), "pearson: a sample has zero variance or non-finite values");
  return sab / std::sqrt(saa * sbb);
}

std::vector<double> hpd_levels(const std::vector<float>& lq, const std::vector<double>& truth, std::int64_t N,
                               std::int64_t n) {
  SPECNET_CHECK(N > 0 && n > 0 && static_cast<std::int64_t>(lq.size()) == N * n &&
                    static_cast<std::int64_t>(truth.size()) == N,
                "hpd_levels: need (N, n) sample log-densities and (N) truth log-densities");
  std::vector<double> r(N);
  for (std::int64_t i = 0; i < N; ++i) {
    std::int64_t above = 0;
    for (std::int64_t j = 0; j < n; ++j) above += lq[i * n + j] > truth[i];
    r[i] = double(above) / n;
  }
  return r;
}

std::vector<double> coverage(const std::vector<double>& hpd, const std::vector<double>& levels) {
  SPECNET_CHECK(!hpd.empty(), "coverage: no spectra");
  std::vector<double> c;
  for (double a : levels) {
    std::int64_t k = 0;
    for (double h : hpd) k += h <= a;
    c.push_back(double(k) / hpd.size());
  }
  return c;
}

double coverage_deviation(const std::vector<double>& cov, const std::vector<double>& levels) {
  SPECNET_CHECK(cov.size() == levels.size(), "coverage_deviation: ", cov.size(), " coverage values for ", levels.size(),
                " levels");
  double worst = 0;
  for (std::size_t k = 0; k < levels.size(); ++k) worst = std::max(worst, std::abs(cov[k] - levels[k]));
  return worst;
}

Posterior sample_posterior(Network& net, const Scaling& scaling, const Dataset& data, std::int64_t n,
                           std::uint64_t seed, FastFlowSampler::Precision precision) {
  SPECNET_CHECK(n > 0 && data.size() > 0, "bhb posterior: need n > 0 draws and a non-empty set");
  Posterior p;
  p.N = data.size();
  p.n = n;
  const std::int64_t C = net.config.context, P = kNumParams;
  auto t0 = std::chrono::steady_clock::now();
  const std::vector<float> ctx = encode_all(net, scaling, data);
  auto t1 = std::chrono::steady_clock::now();
  FastFlowSampler fast(*net.flow, precision);
  p.samples.resize(p.N * n * P);
  p.log_q.resize(p.N * n);
  fast.sample(ctx.data(), p.N, n, seed, p.samples.data(), p.log_q.data());
  auto t2 = std::chrono::steady_clock::now();
  p.seconds_encode = std::chrono::duration<double>(t1 - t0).count();
  p.seconds_sample = std::chrono::duration<double>(t2 - t1).count();
  p.truth.resize(p.N * P);
  std::vector<float> x(p.N * scaling.channels() * data.header.bins);
  scaling.spectra(data, 0, p.N, x.data(), p.truth.data());
  // Unlabelled records (real spectra: NaN parameters) get a NaN log q(truth); the density pass sees 0 there.
  std::vector<float> at = p.truth;  // (N, P)
  std::vector<bool> labelled(p.N, true);
  for (std::int64_t i = 0; i < p.N; ++i)
    for (std::int64_t k = 0; k < P; ++k)
      if (!std::isfinite(at[i * P + k])) labelled[i] = false, at[i * P + k] = 0;
  p.truth_log_q.assign(p.N, std::nan(""));
  if (std::none_of(labelled.begin(), labelled.end(), [](bool b) { return b; })) return p;  // real spectra only
  NoGradGuard ng;
  net.eval();
  const auto lq = net.flow->log_prob(Tensor::from_vector(at, {p.N, P}), Tensor::from_vector(ctx, {p.N, C})).to_vector();
  for (std::int64_t i = 0; i < p.N; ++i)
    if (labelled[i]) p.truth_log_q[i] = lq[i];
  return p;
}

namespace {
// Median of parameter p over the n draws of spectrum i, scaled space; v is (n) scratch.
double draw_median(const Posterior& post, std::int64_t i, std::int64_t p, std::vector<float>& v) {
  v.resize(post.n);
  for (std::int64_t j = 0; j < post.n; ++j) v[j] = post.samples[(i * post.n + j) * kNumParams + p];
  std::nth_element(v.begin(), v.begin() + post.n / 2, v.end());
  return v[post.n / 2];
}
}  // namespace

std::array<double, kNumParams> posterior_median(const Posterior& post, const Scaling& scaling, std::int64_t i) {
  SPECNET_CHECK(i >= 0 && i < post.N, "bhb posterior: spectrum ", i, " out of range");
  std::array<double, kNumParams> m{};
  std::vector<float> v;
  for (std::int64_t p = 0; p < kNumParams; ++p) m[p] = scaling.to_physical(p, draw_median(post, i, p, v));
  return m;
}

std::array<double, kNumParams> posterior_best_draw(const Posterior& post, const Scaling& scaling, std::int64_t i) {
  SPECNET_CHECK(i >= 0 && i < post.N && post.n > 0, "bhb posterior: spectrum ", i, " out of range or no draws");
  SPECNET_CHECK(post.log_q.size() == static_cast<std::size_t>(post.N * post.n), "bhb posterior: ", post.log_q.size(),
                " log q values for ", post.N, " x ", post.n, " draws");
  std::int64_t best = 0;
  for (std::int64_t j = 1; j < post.n; ++j)
    if (post.log_q[i * post.n + j] > post.log_q[i * post.n + best]) best = j;
  std::array<double, kNumParams> m{};
  for (std::int64_t p = 0; p < kNumParams; ++p)
    m[p] = scaling.to_physical(p, post.samples[(i * post.n + best) * kNumParams + p]);
  return m;
}

ParameterPcc parameter_pcc(const Posterior& post, std::int64_t p, const std::vector<std::int64_t>& subset) {
  SPECNET_CHECK(p >= 0 && p < kNumParams && post.n > 0, "bhb PCC: parameter ", p, " out of range or no draws");
  std::vector<std::int64_t> rows = subset;
  if (rows.empty())
    for (std::int64_t i = 0; i < post.N; ++i) rows.push_back(i);
  SPECNET_CHECK(rows.size() >= 2, "bhb PCC: need at least 2 spectra, got ", rows.size());
  const std::int64_t used = std::min<std::int64_t>(50, post.n);
  ParameterPcc r;
  std::vector<double> s, t, tm;  // (rows x used), (rows x used), (rows)
  std::vector<float> v;
  for (std::int64_t i : rows) {
    SPECNET_CHECK(i >= 0 && i < post.N, "bhb PCC: spectrum ", i, " out of range [0, ", post.N, ")");
    const double truth = post.truth[i * kNumParams + p];
    for (std::int64_t j = 0; j < used; ++j) s.push_back(post.samples[(i * post.n + j) * kNumParams + p]), t.push_back(truth);
    r.medians.push_back(draw_median(post, i, p, v));
    tm.push_back(truth);
  }
  r.draws = pearson(s, t);
  r.median = pearson(r.medians, tm);
  return r;
}

std::vector<SpectrumSubset> spectrum_subsets(const double* params, std::int64_t N, const double* total_counts) {
  SPECNET_CHECK(N >= 0 && (N == 0 || params), "bhb subsets: no parameters for ", N, " spectra");
  constexpr std::int64_t kFsc = 2, kKt = 3;
  struct Rule {
    const char* name;
    double fsc_lo, fsc_hi, kt_lo, kt_hi;
  };
  const double inf = INFINITY;
  const Rule rules[] = {{"all", 0, inf, 0, inf},
                        {"f_sc < 0.03", 0, 0.03, 0, inf},
                        {"f_sc >= 0.03", 0.03, inf, 0, inf},
                        {"kT_disk < 0.1 keV", 0, inf, 0, 0.1},
                        {"kT_disk 0.1-0.3 keV", 0, inf, 0.1, 0.3},
                        {"kT_disk 0.3-1 keV", 0, inf, 0.3, 1.0},
                        {"kT_disk >= 1 keV", 0, inf, 1.0, inf},
                        {"f_sc >= 0.03 and kT_disk >= 0.3 keV", 0.03, inf, 0.3, inf}};
  std::vector<SpectrumSubset> out;
  for (const Rule& r : rules) {
    SpectrumSubset s{r.name, {}};
    for (std::int64_t i = 0; i < N; ++i) {
      const double f = params[i * kNumParams + kFsc], t = params[i * kNumParams + kKt];
      if (f >= r.fsc_lo && f < r.fsc_hi && t >= r.kt_lo && t < r.kt_hi) s.rows.push_back(i);
    }
    out.push_back(std::move(s));
  }
  if (total_counts && N > 0) {
    // Quartiles by rank (ties broken by index), so that each holds a quarter of the spectra.
    std::vector<std::int64_t> order(N);
    for (std::int64_t i = 0; i < N; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::int64_t a, std::int64_t b) { return total_counts[a] < total_counts[b]; });
    for (int q = 0; q < 4; ++q) {
      const std::int64_t b = N * q / 4, e = N * (q + 1) / 4;
      if (b == e) continue;
      char name[96];
      std::snprintf(name, sizeof name, "counts %.2g-%.2g (quartile %d)", total_counts[order[b]],
                    total_counts[order[e - 1]], q + 1);
      SpectrumSubset s{name, std::vector<std::int64_t>(order.begin() + b, order.begin() + e)};
      std::sort(s.rows.begin(), s.rows.end());
      out.push_back(std::move(s));
    }
  }
  return out;
}

std::string pcc_cell(const Posterior& post, std::int64_t p, const std::vector<std::int64_t>& rows) {
  if (rows.size() < 3) return "n/a";
  const ParameterPcc c = parameter_pcc(post, p, rows);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f / %.3f", c.draws, c.median);
  return buf;
}

std::vector<double> credible_levels() {
  std::vector<double> levels;
  for (int k = 1; k <= 19; ++k) levels.push_back(0.05 * k);
  levels.push_back(0.99);
  return levels;
}

double chi2_cdf(double x, int dof) {
  SPECNET_CHECK(dof >= 1 && !std::isnan(x), "chi2_cdf: need dof >= 1 and a number, got dof ", dof, " and x ", x);
  if (x <= 0) return 0;
  if (std::isinf(x)) return 1;
  const double a = 0.5 * dof, z = 0.5 * x;
  const double log_front = -z + a * std::log(z) - std::lgamma(a);
  if (z < a + 1) {  // series: P = e^-z z^a / Gamma(a) sum_n z^n / (a (a+1) ... (a+n))
    double term = 1 / a, sum = term;
    for (int n = 1; n < 1000 && term > 1e-17 * sum; ++n) sum += term *= z / (a + n);
    return std::min(1.0, sum * std::exp(log_front));
  }
  // Q = e^-z z^a / Gamma(a) x 1 / (z + 1 - a - 1 (1 - a) / (z + 3 - a - ...)) (modified Lentz).
  constexpr double tiny = 1e-300;
  double b = z + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 1000; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = std::abs(d) < tiny ? tiny : d;
    c = b + an / c;
    c = std::abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1) < 1e-16) break;
  }
  return std::max(0.0, 1 - std::exp(log_front) * h);
}

double reduced_pgstat(const Simulation& s, const std::vector<double>& counts, const std::array<double, kNumParams>& theta) {
  return reduced_statistic(*simulation_problem(s, counts), theta);
}

fit::FitResult fit_baseline(const Simulation& s, const std::vector<double>& counts, int max_iterations,
                            std::array<double, kNumParams>& theta, const std::array<double, kNumParams>* start) {
  return fit_problem(*simulation_problem(s, counts), max_iterations, theta, start);
}

PriorBox prior_box(const Simulation& s) {
  SPECNET_CHECK(s.priors.size() == static_cast<std::size_t>(kNumParams), "bhb prior box: the simulation has ",
                s.priors.size(), " priors, expected ", kNumParams);
  PriorBox b;
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    b.lo[p] = kParamLog[p] ? std::log10(s.priors[p].lo) : s.priors[p].lo;
    b.hi[p] = kParamLog[p] ? std::log10(s.priors[p].hi) : s.priors[p].hi;
  }
  return b;
}

bool box_to_free(const PriorBox& box, const std::array<std::int64_t, kNumParams>& slot, const double* u,
                 std::vector<double>& free) {
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    if (!(u[p] >= box.lo[p] && u[p] <= box.hi[p])) return false;
    free[slot[p]] = kParamLog[p] ? std::pow(10.0, u[p]) : u[p];
  }
  return true;
}

std::vector<float> mcmc_posterior(const Simulation& s, const Scaling& scaling, const std::vector<double>& counts,
                                  const std::vector<float>& start, int walkers, int steps, int burn_in,
                                  std::uint64_t seed) {
  SPECNET_CHECK(static_cast<int>(start.size()) >= walkers * kNumParams, "bhb mcmc: need ", walkers,
                " starting draws");
  const SpectrumPosterior target(simulation_problem(s, counts), prior_box(s));
  std::vector<SpectrumPosterior::Scratch> scratch;
  for (int w = 0; w < walkers; ++w) scratch.push_back(target.make_scratch());
  const auto& lo = target.box().lo;
  const auto& hi = target.box().hi;
  auto log_prob = [&](const double* u, int w) { return target.log_prob(u, scratch[w]); };
  std::vector<double> init(walkers * kNumParams);
  for (int w = 0; w < walkers; ++w)
    for (std::int64_t p = 0; p < kNumParams; ++p) {
      const double phys = scaling.to_physical(p, start[w * kNumParams + p]);
      init[w * kNumParams + p] = std::clamp(kParamLog[p] ? std::log10(phys) : phys, lo[p] + 1e-9, hi[p] - 1e-9);
    }
  fit::McmcOptions mo;
  mo.walkers = walkers;
  mo.steps = steps;
  mo.burn_in = burn_in;
  mo.seed = seed;
  const fit::McmcResult r = fit::run_ensemble_indexed(log_prob, kNumParams, init, mo);
  std::vector<float> out(r.chain.size());
  for (std::size_t k = 0; k < r.chain.size(); ++k) {
    const std::int64_t p = static_cast<std::int64_t>(k % kNumParams);
    const double phys = kParamLog[p] ? std::pow(10.0, r.chain[k]) : r.chain[k];
    out[k] = static_cast<float>(scaling.to_scaled(p, phys));
  }
  return out;
}

}  // namespace specnet::bhb
