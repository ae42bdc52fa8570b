// Post-hoc base scale (temperature) of the posterior flow: closed-form maximum likelihood, or a coverage scan with
// common noise. The truths' noise z* is computed once; only the draws depend on s.
#include "specnet/bhb/calibrate.h"

#include <algorithm>
#include <cmath>

#include "specnet/autograd.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/train.h"
#include "specnet/error.h"
#include "specnet/io/safetensors.h"

namespace specnet::bhb {

CalibrationObjective parse_calibration_objective(const std::string& name) {
  if (name == "nll") return CalibrationObjective::nll;
  if (name == "coverage") return CalibrationObjective::coverage;
  throw Error(str("bhb calibrate: unknown objective '", name, "' (nll or coverage)"));
}

const char* calibration_objective_name(CalibrationObjective o) {
  return o == CalibrationObjective::nll ? "nll" : "coverage";
}

BaseFamily parse_base_family(const std::string& name) {
  if (name == "normal") return BaseFamily::normal;
  if (name == "t") return BaseFamily::student_t;
  throw Error(str("bhb calibrate: unknown base family '", name, "' (normal or t)"));
}

const char* base_family_name(BaseFamily f) { return f == BaseFamily::normal ? "normal" : "t"; }

TruthNoise truth_noise(Network& net, const Scaling& scaling, const Dataset& data, const std::vector<float>& context) {
  SPECNET_CHECK(data.size() > 0, "bhb calibrate: empty set");
  for (double v : data.params)
    SPECNET_CHECK(std::isfinite(v), "bhb calibrate: the set is unlabelled (NaN parameters); calibration needs targets");
  std::vector<float> x(data.size() * scaling.channels() * data.header.bins), theta(data.size() * kNumParams);
  scaling.spectra(data, 0, data.size(), x.data(), theta.data());  // (N, K, L), (N, P)
  return truth_noise(net, theta, context);
}

TruthNoise truth_noise(Network& net, const std::vector<float>& theta, const std::vector<float>& context) {
  const std::int64_t P = kNumParams, N = static_cast<std::int64_t>(theta.size()) / P, C = net.config.context;
  SPECNET_CHECK(N > 0 && static_cast<std::int64_t>(theta.size()) == N * P, "bhb calibrate: ", theta.size(),
                " target values for spectra of ", P, " parameters");
  SPECNET_CHECK(static_cast<std::int64_t>(context.size()) == N * C, "bhb calibrate: ", context.size(),
                " context values for ", N, " spectra of width ", C);
  TruthNoise t;
  t.D = P;
  t.z_squared.resize(N);
  t.logdet.resize(N);
  NoGradGuard ng;
  net.eval();
  constexpr std::int64_t kBatch = 4096;  // bounds the density pass's memory on big sets
  for (std::int64_t b0 = 0; b0 < N; b0 += kBatch) {
    const std::int64_t nb = std::min(kBatch, N - b0);
    const std::vector<float> th(theta.begin() + b0 * P, theta.begin() + (b0 + nb) * P);
    const std::vector<float> ctx(context.begin() + b0 * C, context.begin() + (b0 + nb) * C);
    auto [z, logdet] = net.flow->to_noise(Tensor::from_vector(th, {nb, P}), Tensor::from_vector(ctx, {nb, C}));
    const auto zv = z.to_vector(), lv = logdet.to_vector();
    for (std::int64_t i = 0; i < nb; ++i) {
      double zz = 0;
      for (std::int64_t k = 0; k < P; ++k) zz += zv[i * P + k] * zv[i * P + k];
      SPECNET_CHECK(std::isfinite(zz) && std::isfinite(lv[i]), "bhb calibrate: non-finite density at spectrum ", b0 + i);
      t.z_squared[b0 + i] = zz;
      t.logdet[b0 + i] = lv[i];
    }
  }
  return t;
}

std::vector<double> truth_log_q(const TruthNoise& t, double s, double df) {
  SPECNET_CHECK(t.z_squared.size() == t.logdet.size(), "bhb calibrate: ", t.z_squared.size(), " |z|^2 for ",
                t.logdet.size(), " log-determinants");
  nn::check_base(s, df);
  std::vector<double> lq(t.z_squared.size());  // (N)
  for (std::size_t i = 0; i < lq.size(); ++i) lq[i] = nn::base_log_density(t.z_squared[i], t.D, s, df) + t.logdet[i];
  return lq;
}

double mean_nll(const TruthNoise& t, double s, double df) {
  SPECNET_CHECK(!t.z_squared.empty(), "bhb calibrate: no truths");
  double sum = 0;
  for (double lq : truth_log_q(t, s, df)) sum -= lq;
  return sum / double(t.z_squared.size());
}

namespace {

void check_options(const CalibrationOptions& o) {
  SPECNET_CHECK(o.samples >= 16, "bhb calibrate: need at least 16 draws per spectrum, got ", o.samples);
  SPECNET_CHECK(o.min_scale > 0 && o.max_scale > o.min_scale && std::isfinite(o.max_scale),
                "bhb calibrate: need 0 < min_scale < max_scale, got ", o.min_scale, " and ", o.max_scale);
}

// The maximum-likelihood scale of a t base with df degrees of freedom: the EM fixed point
// s^2 <- (nu + D) / D * mean(r^2 / (nu + r^2 / s^2)), from the normal's s^2 = mean(r^2) / D.
double ml_t_scale(const TruthNoise& t, double df) {
  double s2 = 0;
  for (double r2 : t.z_squared) s2 += r2;
  s2 = std::max(s2 / (double(t.z_squared.size()) * double(t.D)), 1e-300);
  for (int it = 0; it < 1000; ++it) {
    double m = 0;
    for (double r2 : t.z_squared) m += r2 / (df + r2 / s2);
    const double next = std::max((df + double(t.D)) / double(t.D) * m / double(t.z_squared.size()), 1e-300);
    const bool done = std::abs(next - s2) <= 1e-13 * s2;
    s2 = next;
    if (done) break;
  }
  return std::sqrt(s2);
}

}  // namespace

BaseParams ml_base(const TruthNoise& t, BaseFamily family) {
  SPECNET_CHECK(!t.z_squared.empty() && t.D > 0, "bhb calibrate: no truths");
  double sum = 0;
  for (double v : t.z_squared) sum += v;
  // Normal: d/ds [ |z|^2 / (2 s^2) + D log s ] = 0  =>  s^2 = |z|^2 / D, averaged over the spectra.
  const BaseParams normal{std::sqrt(sum / (double(t.z_squared.size()) * double(t.D))), 0};
  if (family == BaseFamily::normal) return normal;
  // t: golden-section search on log nu over [0.5, 1000] (the likelihood profile is unimodal in practice), each nu
  // with its own ML scale; the normal when it fits at least as well.
  auto profile = [&](double log_df) {
    const double df = std::exp(log_df);
    return mean_nll(t, ml_t_scale(t, df), df);
  };
  const double g = 0.5 * (std::sqrt(5.0) - 1);
  double a = std::log(0.5), b = std::log(1000.0), x1 = b - g * (b - a), x2 = a + g * (b - a);
  double f1 = profile(x1), f2 = profile(x2);
  while (b - a > 1e-6) {
    if (f1 < f2) b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = profile(x1);
    else a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = profile(x2);
  }
  const double df = std::exp(0.5 * (a + b));
  const BaseParams st{ml_t_scale(t, df), df};
  return mean_nll(t, st.scale, st.df) < mean_nll(t, normal.scale) ? st : normal;
}

namespace {

// Coverage curve at base scale s: draws from `fast` (set to s) and the truths' log q at s.
struct CoverageAt {
  std::vector<double> coverage;
  double deviation = 0;
};
CoverageAt coverage_at(FastFlowSampler& fast, const std::vector<float>& context, const TruthNoise& t, std::int64_t n,
                       std::uint64_t seed, const BaseParams& base, const std::vector<double>& levels) {
  const std::int64_t N = static_cast<std::int64_t>(t.z_squared.size());
  fast.set_base(base.scale, base.df);
  std::vector<float> draws(N * n * t.D), lq(N * n);  // (N, n, D), (N, n)
  fast.sample(context.data(), N, n, seed, draws.data(), lq.data());
  CoverageAt r;
  r.coverage = coverage(hpd_levels(lq, truth_log_q(t, base.scale, base.df), N, n), levels);
  r.deviation = coverage_deviation(r.coverage, levels);
  return r;
}

}  // namespace

BaseScaleFit fit_base_scale(Network& net, const Scaling& scaling, const Dataset& data, const CalibrationOptions& o) {
  check_options(o);
  const std::vector<float> context = encode_all(net, scaling, data);  // (N, C)
  return fit_base_scale(net, context, truth_noise(net, scaling, data, context), o);
}

BaseScaleFit fit_base_scale(Network& net, const std::vector<float>& context, const TruthNoise& t,
                            const CalibrationOptions& o) {
  check_options(o);
  BaseScaleFit r;
  r.family = o.family;
  r.objective = o.objective;
  r.before = {net.flow->options.base_scale, net.flow->options.base_df};
  r.nll_before = mean_nll(t, r.before.scale, r.before.df);
  r.levels = credible_levels();
  FastFlowSampler fast(*net.flow, o.precision);
  const CoverageAt before = coverage_at(fast, context, t, o.samples, o.seed, r.before, r.levels);
  r.coverage_before = before.coverage;
  r.deviation_before = before.deviation;
  r.after = ml_base(t, o.family);
  if (o.objective == CalibrationObjective::coverage) {
    // A coarse scan of s in steps of 10%, then one of 1% around its best, nu held at its ML value. The deviation is
    // a step function of s (the draws are finite), so it is scanned rather than descended; ties go to the s
    // nearest the ML one.
    const double df = r.after.df, s_ml = r.after.scale;
    std::vector<std::pair<double, double>> scan;
    auto try_scale = [&](double s) {
      scan.emplace_back(s, coverage_at(fast, context, t, o.samples, o.seed, {s, df}, r.levels).deviation);
    };
    auto best = [&] {
      auto better = [&](const std::pair<double, double>& a, const std::pair<double, double>& b) {
        if (a.second != b.second) return a.second < b.second;
        return std::abs(std::log(a.first / s_ml)) < std::abs(std::log(b.first / s_ml));
      };
      return *std::min_element(scan.begin(), scan.end(), better);
    };
    for (double s = o.min_scale; s <= o.max_scale * 1.0001; s *= 1.1) try_scale(s);
    const double coarse = best().first;
    for (int k = -9; k <= 9; ++k)
      if (k != 0) try_scale(std::clamp(coarse * std::pow(1.01, k), o.min_scale, o.max_scale));
    r.after.scale = best().first;
    std::sort(scan.begin(), scan.end());
    r.scan = std::move(scan);
  }
  r.nll = mean_nll(t, r.after.scale, r.after.df);
  const CoverageAt after = coverage_at(fast, context, t, o.samples, o.seed, r.after, r.levels);
  r.coverage = after.coverage;
  r.deviation = after.deviation;
  return r;
}

std::string base_description(const nn::SplineFlowOptions& o) {
  if (o.base_df == 0 && o.base_scale == 1) return "flow base N(0, I) (as trained)";
  if (o.base_df == 0) return str("flow base N(0, s^2 I), s = ", o.base_scale, " (calibrated)");
  return str("flow base Student t, scale ", o.base_scale, ", ", o.base_df, " degrees of freedom (calibrated)");
}

void set_base(Network& net, const BaseParams& base) {
  nn::check_base(base.scale, base.df);
  net.config.flow.base_scale = net.flow->options.base_scale = base.scale;
  net.config.flow.base_df = net.flow->options.base_df = base.df;
}

void write_calibrated_checkpoint(const std::string& in, const std::string& out, const BaseParams& base,
                                 const std::string& note) {
  nn::check_base(base.scale, base.df);
  SafeTensors file = load_safetensors(in);
  SPECNET_CHECK(file.metadata.count("user.net.flow_tail_bound"), "bhb calibrate: ", in,
                " is not a bhb network checkpoint (no network settings in its metadata)");
  for (const auto& [k, v] : base_metadata(base.scale, base.df)) file.metadata["user." + k] = v;
  if (!note.empty()) file.metadata["user.calibration"] = note;
  save_safetensors(out, file.tensors, file.metadata);
}

}  // namespace specnet::bhb
