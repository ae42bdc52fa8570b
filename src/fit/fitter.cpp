// Bounded Levenberg-Marquardt (Marquardt diagonal scaling, active-set projection onto the hard limits) on the
// Gauss-Newton Hessian J^T W J of a counts statistic, as XSPEC's `fit`; profile intervals as XSPEC's `error`.
#include "specnet/fit/fitter.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>

#include "specnet/error.h"
#include "specnet/sim/poisson.h"

namespace specnet::fit {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Outcome {
  std::vector<double> x;
  double stat = kNaN;
  bool ok = false;  // the start could be evaluated
  bool converged = false;
  int iterations = 0;
  std::string message;
};

class Minimizer {
 public:
  Minimizer(FitProblem& problem, const FitOptions& options) : p_(problem), o_(options) {
    const std::vector<double> x0 = p_.free_values();
    for (const FreeParameter& fp : p_.free_parameters()) {
      lo_.push_back(fp.hard_min);
      hi_.push_back(fp.hard_max);
      soft_lo_.push_back(fp.soft_min);
      soft_hi_.push_back(fp.soft_max);
      is_norm_.push_back(fp.is_norm);
      const double range = std::min(fp.soft_max - fp.soft_min, 1.0);
      typical_.push_back(std::max(std::fabs(x0[lo_.size() - 1]), 1e-2 * range));
    }
    P_ = static_cast<int>(lo_.size());
    N_ = p_.num_bins();
    y_.resize(N_);
  }
  int size() const { return P_; }
  double lo(int j) const { return lo_[j]; }
  double hi(int j) const { return hi_[j]; }
  double typical(int j) const { return typical_[j]; }

  std::vector<double> clamp(std::vector<double> x) const {
    for (int j = 0; j < P_; ++j) x[j] = std::min(std::max(x[j], lo_[j]), hi_[j]);
    return x;
  }

  // Statistic at x, or NaN when the model cannot be evaluated there (limits, non-finite values).
  double stat(const std::vector<double>& x, std::vector<double>* y = nullptr) {
    std::vector<double>& out = y ? *y : y_;
    out.resize(N_);
    try {
      p_.model_rate(x, out.data());
      const double s = evaluate_statistic(p_.data(), out.data());
      return std::isfinite(s) ? s : kNaN;
    } catch (const Error&) {
      return kNaN;
    }
  }

  // Model-rate Jacobian (N, P) by central differences (one-sided at a hard limit); false if an evaluation fails.
  bool jacobian(const std::vector<double>& x, const std::vector<double>& y0, const std::vector<char>& fixed,
                Eigen::MatrixXd& J) {
    J.setZero(N_, P_);
    std::vector<double> xp = x, yp(N_), ym(N_);
    for (int j = 0; j < P_; ++j) {
      if (fixed[j]) continue;
      const double h = 1e-4 * std::max(std::fabs(x[j]), 1e-3 * typical_[j]);
      const bool up = x[j] + h <= hi_[j], down = x[j] - h >= lo_[j];
      if (!up && !down) continue;
      if (up) {
        xp[j] = x[j] + h;
        if (std::isnan(stat(xp, &yp))) return false;
      } else {
        yp = y0;
      }
      if (down) {
        xp[j] = x[j] - h;
        if (std::isnan(stat(xp, &ym))) return false;
      } else {
        ym = y0;
      }
      xp[j] = x[j];
      const double denom = (up ? h : 0.0) + (down ? h : 0.0);
      for (std::int64_t i = 0; i < N_; ++i) J(i, j) = (yp[i] - ym[i]) / denom;
    }
    return true;
  }

  // Gradient and Gauss-Newton Hessian of the statistic at x; false if an evaluation fails.
  bool derivatives(const std::vector<double>& x, const std::vector<char>& fixed, Eigen::VectorXd& g,
                   Eigen::MatrixXd& H) {
    std::vector<double> y0(N_), d1(N_), w(N_);
    if (std::isnan(stat(x, &y0))) return false;
    evaluate_statistic(p_.data(), y0.data(), nullptr, d1.data(), w.data());
    Eigen::MatrixXd J;
    if (!jacobian(x, y0, fixed, J)) return false;
    const Eigen::Map<const Eigen::VectorXd> d1v(d1.data(), N_), wv(w.data(), N_);
    g = J.transpose() * d1v;
    H = J.transpose() * wv.asDiagonal() * J;
    return g.allFinite() && H.allFinite();
  }

  // XSPEC's `renorm`: scales the free additive norms by one factor so that the model predicts the observed
  // total counts (the minimum of cstat along that direction), so the first steps start at the right level.
  std::vector<double> renorm(std::vector<double> x, const std::vector<char>& fixed) {
    std::vector<int> norms;
    for (int j = 0; j < P_; ++j)
      if (!fixed[j] && is_norm_[j] && x[j] > 0) norms.push_back(j);
    if (norms.empty()) return x;
    std::vector<double> y1(N_), y2(N_);
    std::vector<double> x2 = x;
    for (int j : norms) x2[j] *= 2;
    if (std::isnan(stat(x, &y1)) || std::isnan(stat(x2, &y2))) return x;
    double scaled = 0, rest = 0, data = 0;
    for (std::int64_t i = 0; i < N_; ++i) {
      scaled += y2[i] - y1[i];
      rest += 2 * y1[i] - y2[i];
      data += p_.data().counts[i];
    }
    const double k = (data / p_.data().exposure_s - rest) / scaled;
    if (!(std::isfinite(k) && k > 0)) return x;
    std::vector<double> xk = x;
    for (int j : norms) xk[j] *= k;
    xk = clamp(std::move(xk));
    const double s0 = stat(x), sk = stat(xk);
    return !std::isnan(sk) && (std::isnan(s0) || sk < s0) ? xk : x;
  }

  // Levenberg-Marquardt from x with the `fixed` parameters held.
  Outcome run(std::vector<double> x, const std::vector<char>& fixed, bool renormalise = false) {
    Outcome out;
    x = clamp(std::move(x));
    if (renormalise) x = renorm(std::move(x), fixed);
    double s = stat(x);
    if (std::isnan(s)) {
      out.x = x;
      out.message = "the model cannot be evaluated at the start point (non-finite values or out of limits)";
      return out;
    }
    out.ok = true;
    double lambda = 1e-3;
    Eigen::VectorXd g;
    Eigen::MatrixXd H;
    for (int it = 1; it <= o_.max_iterations; ++it) {
      out.iterations = it;
      if (!derivatives(x, fixed, g, H)) {
        out.message = "finite-difference derivatives failed (model not finite near the current point)";
        break;
      }
      // Active set: free parameters not pinned at a limit by the gradient.
      std::vector<int> act;
      for (int j = 0; j < P_; ++j) {
        if (fixed[j]) continue;
        if (x[j] <= lo_[j] && g[j] > 0) continue;
        if (x[j] >= hi_[j] && g[j] < 0) continue;
        act.push_back(j);
      }
      if (act.empty()) {
        out.converged = true;
        out.message = "converged (every free parameter at a limit)";
        break;
      }
      const int A = static_cast<int>(act.size());
      Eigen::MatrixXd Ha(A, A);
      Eigen::VectorXd ga(A), diag(A);
      for (int a = 0; a < A; ++a) {
        ga[a] = g[act[a]];
        for (int b = 0; b < A; ++b) Ha(a, b) = H(act[a], act[b]);
      }
      // Marquardt scaling, floored relative to the largest curvature (Ha must be complete here: a fresh MatrixXd
      // is uninitialised, and reading its unfilled rows made the fit depend on earlier heap contents).
      const double diag_floor = 1e-12 * std::max(1.0, Ha.diagonal().cwiseAbs().maxCoeff());
      for (int a = 0; a < A; ++a) diag[a] = std::max(Ha(a, a), diag_floor);
      // Expected decrease of a full Gauss-Newton step (MINUIT's EDM): converged when below the tolerance.
      Eigen::MatrixXd Hreg = Ha;
      Hreg.diagonal() += 1e-10 * diag;
      const double edm = 0.5 * ga.dot(Hreg.ldlt().solve(ga));
      if (std::isfinite(edm) && edm < o_.stat_tolerance) {
        out.converged = true;
        out.message = "converged (expected decrease " + str(edm) + ")";
        break;
      }
      bool accepted = false;
      while (lambda < 1e12) {
        Eigen::MatrixXd M = Ha;
        M.diagonal() += lambda * diag;
        const Eigen::VectorXd step = M.ldlt().solve(-ga);
        std::vector<double> xn = x;
        for (int a = 0; a < A; ++a) xn[act[a]] += step[a];
        std::vector<double> projected = clamp(xn);
        double sn = step.allFinite() ? stat(projected) : kNaN;
        if ((std::isnan(sn) || sn > s) && projected != xn && step.allFinite()) {
          // The projection onto the limits failed (a norm sent to 0, say): try the step shortened to stay
          // inside the limits (90% of the way to the nearest one) before raising lambda.
          double alpha = 1;
          for (int a = 0; a < A; ++a) {
            const int j = act[a];
            if (xn[j] > hi_[j]) alpha = std::min(alpha, (hi_[j] - x[j]) / step[a]);
            if (xn[j] < lo_[j]) alpha = std::min(alpha, (lo_[j] - x[j]) / step[a]);
          }
          std::vector<double> inner = x;
          for (int a = 0; a < A; ++a) inner[act[a]] += 0.9 * alpha * step[a];
          inner = clamp(std::move(inner));
          const double si = alpha > 0 ? stat(inner) : kNaN;
          if (!std::isnan(si) && (std::isnan(sn) || si < sn)) {
            projected = std::move(inner);
            sn = si;
          }
        }
        xn = std::move(projected);
        if (!std::isnan(sn) && sn <= s) {
          const bool moved = xn != x;
          x = std::move(xn);
          const double drop = s - sn;
          s = sn;
          lambda = std::max(lambda * 0.1, 1e-12);
          accepted = moved || drop > 0;
          break;
        }
        lambda *= 10;
      }
      if (!accepted) {
        out.converged = std::isfinite(edm) && edm < 100 * o_.stat_tolerance;
        out.message = out.converged ? "converged (no further decrease possible)"
                                    : "stopped: no step lowers the statistic (expected decrease " + str(edm) + ")";
        break;
      }
      if (it == o_.max_iterations) out.message = str("stopped: iteration cap ", o_.max_iterations, " reached");
    }
    out.x = x;
    out.stat = s;
    return out;
  }

  // A start drawn within the soft limits: uniform, or log-uniform within a decade of the current value for
  // scale parameters whose soft range spans many decades (norms, column densities).
  std::vector<double> random_start(const std::vector<double>& x0, std::uint64_t stream) const {
    sim::UniformStream u(o_.seed, stream);
    std::vector<double> x(P_);
    for (int j = 0; j < P_; ++j) {
      const double lo = std::max(soft_lo_[j], lo_[j]), hi = std::min(soft_hi_[j], hi_[j]);
      if (x0[j] > 0 && hi - lo > 1e3 * x0[j]) {
        const double a = std::log(std::max(x0[j] / 10, lo > 0 ? lo : x0[j] / 10)), b = std::log(std::min(x0[j] * 10, hi));
        x[j] = std::exp(a + (b - a) * u.next());
      } else {
        x[j] = lo + (hi - lo) * u.next();
      }
    }
    return x;
  }

 private:
  FitProblem& p_;
  const FitOptions& o_;
  std::vector<double> lo_, hi_, soft_lo_, soft_hi_, typical_;
  std::vector<char> is_norm_;
  int P_ = 0;
  std::int64_t N_ = 0;
  std::vector<double> y_;
};

// Profile bound on one side (dir = +1 upper, -1 lower) of free parameter k.
void profile_side(Minimizer& m, const FitOptions& o, const std::vector<double>& best, double best_stat, int k,
                  double err, int dir, Interval& iv, std::string& note) {
  const double target = best_stat + o.delta_stat;
  const double limit = dir > 0 ? m.hi(k) : m.lo(k);
  std::vector<char> fixed(m.size(), 0);
  fixed[k] = 1;
  std::vector<double> warm = best;
  auto profile = [&](double v) {
    std::vector<double> x = warm;
    x[k] = v;
    Outcome r = m.run(x, fixed);
    if (r.ok) warm = r.x;
    return r.ok ? r.stat : kNaN;
  };
  double d = (std::isfinite(err) && err > 0) ? err : 0.1 * std::max(std::fabs(best[k]), m.typical(k));
  double inside = best[k], outside = kNaN;
  int steps = 0;
  bool at_limit = false;
  while (steps < o.interval_max_steps) {
    double v = best[k] + dir * d;
    if ((v - limit) * dir >= 0) v = limit;
    const double s = profile(v);
    ++steps;
    if (std::isnan(s)) {
      d *= 0.5;
      continue;
    }
    if (s >= target) {
      outside = v;
      break;
    }
    inside = v;
    if (v == limit) {
      at_limit = true;
      break;
    }
    d *= 2;
  }
  double bound = inside;
  if (!at_limit && std::isnan(outside)) {
    iv.ok = false;
    note += str(" interval of ", iv.name, " (", dir > 0 ? "upper" : "lower", "): no bracket found;");
  } else if (!at_limit) {
    bound = 0.5 * (inside + outside);
    warm = best;
    while (steps++ < o.interval_max_steps) {
      bound = 0.5 * (inside + outside);
      const double s = profile(bound);
      if (std::isnan(s) || s >= target) {
        outside = bound;
      } else {
        inside = bound;
      }
      if (!std::isnan(s) && std::fabs(s - target) < o.interval_tolerance) break;
    }
  }
  if (dir > 0) {
    iv.hi = bound;
    iv.hi_at_limit = at_limit;
  } else {
    iv.lo = bound;
    iv.lo_at_limit = at_limit;
  }
}

}  // namespace

FitResult fit_model(FitProblem& problem, const FitOptions& options) {
  SPECNET_CHECK(options.max_iterations > 0, "fit: max_iterations must be > 0, got ", options.max_iterations);
  SPECNET_CHECK(options.restarts >= 0, "fit: restarts must be >= 0, got ", options.restarts);
  SPECNET_CHECK(std::isfinite(options.stat_tolerance) && options.stat_tolerance > 0,
                "fit: stat_tolerance must be > 0, got ", options.stat_tolerance);
  SPECNET_CHECK(std::isfinite(options.delta_stat) && options.delta_stat > 0, "fit: delta_stat must be > 0, got ",
                options.delta_stat);
  const std::vector<FreeParameter> free = problem.free_parameters();
  SPECNET_CHECK(!free.empty(), "fit: no free parameters");
  // Resolve interval names first so that a typo fails before any work.
  std::vector<int> interval_index;
  for (const std::string& name : options.interval_params) {
    if (name == "*") {
      for (int j = 0; j < static_cast<int>(free.size()); ++j) interval_index.push_back(j);
      continue;
    }
    interval_index.push_back(problem.free_index(name));
  }

  Minimizer m(problem, options);
  const int P = m.size();
  const std::vector<char> none(P, 0);
  const std::vector<double> x0 = problem.free_values();
  Outcome best = m.run(x0, none, true);
  for (int r = 0; r < options.restarts; ++r) {
    Outcome o = m.run(m.random_start(x0, static_cast<std::uint64_t>(r)), none, true);
    if (o.ok && (!best.ok || o.stat < best.stat)) best = std::move(o);
  }

  FitResult res;
  for (const FreeParameter& fp : free) res.names.push_back(fp.name);
  res.values = best.x;
  res.statistic = best.stat;
  res.dof = degrees_of_freedom(problem.data(), P);
  res.reduced = reduced_statistic(best.stat, res.dof);
  res.converged = best.converged;
  res.iterations = best.iterations;
  res.message = best.message;
  res.errors.assign(P, kNaN);
  res.covariance.assign(static_cast<std::size_t>(P) * P, kNaN);
  if (!best.ok) return res;
  problem.set_free_values(best.x);

  if (options.errors || !interval_index.empty()) {
    Eigen::VectorXd g;
    Eigen::MatrixXd H;
    if (m.derivatives(best.x, none, g, H)) {
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(H);
      const auto& ev = es.eigenvalues();
      if (ev.minCoeff() > 1e-12 * std::max(ev.cwiseAbs().maxCoeff(), 1e-300)) {
        const Eigen::MatrixXd cov = 2.0 * es.eigenvectors() * ev.cwiseInverse().asDiagonal() *
                                    es.eigenvectors().transpose();
        for (int a = 0; a < P; ++a) {
          res.errors[a] = std::sqrt(cov(a, a));
          for (int b = 0; b < P; ++b) res.covariance[static_cast<std::size_t>(a) * P + b] = cov(a, b);
        }
      } else {
        res.message += "; Hessian singular (parameters unconstrained or degenerate): no errors";
      }
    }
  }
  std::string note;
  for (int k : interval_index) {
    Interval iv;
    iv.name = res.names[k];
    profile_side(m, options, best.x, best.stat, k, res.errors[k], -1, iv, note);
    profile_side(m, options, best.x, best.stat, k, res.errors[k], +1, iv, note);
    res.intervals.push_back(iv);
  }
  problem.set_free_values(best.x);  // the profiles moved it
  if (!note.empty()) res.message += ";" + note;
  return res;
}

std::string format_fit(const FitResult& r, Statistic statistic) {
  std::ostringstream os;
  os << std::left << std::setw(22) << "Parameter" << std::right << std::setw(14) << "Value" << std::setw(13)
     << "+/-" << std::setw(14) << "90% lo" << std::setw(14) << "90% hi" << "\n";
  for (std::size_t j = 0; j < r.names.size(); ++j) {
    os << std::left << std::setw(22) << r.names[j] << std::right << std::setprecision(6) << std::setw(14)
       << r.values[j] << std::setw(13) << r.errors[j];
    for (const Interval& iv : r.intervals)
      if (iv.name == r.names[j]) os << std::setw(14) << iv.lo << std::setw(14) << iv.hi;
    os << "\n";
  }
  os << statistic_name(statistic) << " = " << std::setprecision(8) << r.statistic << " using " << r.dof
     << " dof, reduced = " << std::setprecision(5) << r.reduced << "\n"
     << (r.converged ? "converged" : "NOT converged") << " after " << r.iterations << " iterations: " << r.message
     << "\n";
  return os.str();
}

}  // namespace specnet::fit
