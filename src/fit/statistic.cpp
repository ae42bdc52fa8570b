// Fit statistics with XSPEC's conventions: cstat, wstat and pgstat (backgrounds profiled out in closed form, as
// the XSPEC manual's "Statistics in XSPEC" appendix) and chi2, per bin with exact derivatives for Gauss-Newton.
#include "specnet/fit/statistic.h"

#include <cmath>
#include <limits>

#include "specnet/error.h"

namespace specnet::fit {
namespace {

// S ln S with the convention 0 ln 0 = 0.
double s_log_s(double s) { return s > 0 ? s * std::log(s) : 0.0; }

// Larger root of a f^2 + b f + c = 0 (a > 0, real roots), without cancellation.
double larger_root(double a, double b, double c, double* sqrt_disc) {
  const double d = std::sqrt(std::max(b * b - 4 * a * c, 0.0));
  *sqrt_disc = d;
  if (b <= 0) return (-b + d) / (2 * a);
  return (-b - d) == 0 ? 0.0 : 2 * c / (-b - d);
}

struct BinValue {
  double value, d1, d2;  // statistic, d/dy, d2/dy2 (>= 0)
};

BinValue cstat_full(double s, double y, double t) {
  const double m = std::max(t * y, kModelFloorCounts);
  const double v = 2 * (m - s + s_log_s(s) - s * std::log(m));
  return {v, 2 * t * (1 - s / m), 2 * s * t * t / (m * m)};
}

BinValue wstat_full(double s, double b, double y, double ts, double tb, double* f_out) {
  const double T = ts + tb;
  double f;
  BinValue r{};
  if (s == 0) {
    f = b / T;
    r = {2 * (ts * y - b * std::log(tb / T)), 2 * ts, 0};
  } else if (b == 0) {
    if (y < s / T) {
      f = s / T - y;
      r = {2 * (-tb * y - s * std::log(ts / T)), -2 * tb, 0};
    } else {
      f = 0;
      r = cstat_full(s, y, ts);
    }
  } else {
    // T f^2 + (T y - S - B) f - B y = 0 (stationarity in f), positive root.
    const double bq = T * y - s - b;
    double d;
    f = larger_root(T, bq, -b * y, &d);
    const double mu = std::max(y + f, kModelFloorCounts / ts);
    const double v = 2 * (ts * y + T * f - s * std::log(ts * mu) - b * std::log(tb * f) - s + s_log_s(s) - b +
                          s_log_s(b));
    const double dd = d > 0 ? (bq * T + 2 * T * b) / d : 0.0;
    const double df = (-T + dd) / (2 * T);
    r = {v, 2 * ts * (1 - s / (ts * mu)), std::max(2 * s * (1 + df) / (mu * mu), 0.0)};
  }
  if (f_out) *f_out = f;
  return r;
}

BinValue pgstat_full(double s, double b, double sigma, double y, double ts, double tb, double* f_out) {
  if (sigma == 0) {  // background known exactly
    const double f = b / tb;
    if (f_out) *f_out = f;
    return cstat_full(s, y + f, ts);
  }
  const double s2 = sigma * sigma;
  // tb^2 f^2 + (ts s2 - tb B + tb^2 y) f + (ts s2 y - S s2 - tb B y) = 0 (stationarity in f).
  const double a = tb * tb, bq = ts * s2 - tb * b + tb * tb * y, c = ts * s2 * y - s * s2 - tb * b * y;
  double d;
  double f = larger_root(a, bq, c, &d);
  BinValue r{};
  if (s == 0 && y + f <= 0) {  // the total rate cannot go negative: f = -y on the boundary
    f = -y;
    r = {(b + tb * y) * (b + tb * y) / s2, 2 * tb * (b + tb * y) / s2, 2 * tb * tb / s2};
  } else {
    const double mu = std::max(y + f, kModelFloorCounts / ts);
    const double v = 2 * (ts * mu - s * std::log(ts * mu) + (b - tb * f) * (b - tb * f) / (2 * s2) - s + s_log_s(s));
    const double dc = ts * s2 - tb * b;
    const double dd = d > 0 ? (2 * bq * a - 4 * a * dc) / (2 * d) : 0.0;
    const double df = (-a + dd) / (2 * a);
    r = {v, 2 * ts * (1 - s / (ts * mu)), std::max(2 * s * (1 + df) / (mu * mu), 0.0)};
  }
  if (f_out) *f_out = f;
  return r;
}

bool needs_background(Statistic s) { return s == Statistic::wstat || s == Statistic::pgstat; }

}  // namespace

Statistic parse_statistic(const std::string& name) {
  if (name == "cstat") return Statistic::cstat;
  if (name == "wstat") return Statistic::wstat;
  if (name == "pgstat") return Statistic::pgstat;
  if (name == "chi2" || name == "chi") return Statistic::chi2;
  throw Error(str("unknown fit statistic '", name, "' (expected cstat, wstat, pgstat or chi2)"));
}

const char* statistic_name(Statistic s) {
  switch (s) {
    case Statistic::cstat: return "cstat";
    case Statistic::wstat: return "wstat";
    case Statistic::pgstat: return "pgstat";
    case Statistic::chi2: return "chi2";
  }
  return "?";
}

double cstat_bin(double s, double m) {
  SPECNET_CHECK(std::isfinite(s) && s >= 0, "cstat: source counts must be finite and >= 0, got ", s);
  SPECNET_CHECK(std::isfinite(m) && m >= 0, "cstat: model counts must be finite and >= 0, got ", m);
  return cstat_full(s, m, 1.0).value;
}

double wstat_bin(double s, double b, double y, double ts, double tb, double* f_out) {
  SPECNET_CHECK(std::isfinite(s) && s >= 0 && std::isfinite(b) && b >= 0, "wstat: counts must be finite and >= 0 (S=",
                s, ", B=", b, ")");
  SPECNET_CHECK(std::isfinite(y) && y >= 0, "wstat: model rate must be finite and >= 0, got ", y);
  SPECNET_CHECK(ts > 0 && tb > 0 && std::isfinite(ts) && std::isfinite(tb), "wstat: exposures must be > 0 (t_s=",
                ts, ", t_b=", tb, ")");
  return wstat_full(s, b, y, ts, tb, f_out).value;
}

double pgstat_bin(double s, double b, double sigma, double y, double ts, double tb, double* f_out) {
  SPECNET_CHECK(std::isfinite(s) && s >= 0 && std::isfinite(b), "pgstat: counts must be finite, S >= 0 (S=", s,
                ", B=", b, ")");
  SPECNET_CHECK(std::isfinite(sigma) && sigma >= 0, "pgstat: background error must be finite and >= 0, got ", sigma);
  SPECNET_CHECK(std::isfinite(y) && y >= 0, "pgstat: model rate must be finite and >= 0, got ", y);
  SPECNET_CHECK(ts > 0 && tb > 0 && std::isfinite(ts) && std::isfinite(tb), "pgstat: exposures must be > 0 (t_s=",
                ts, ", t_b=", tb, ")");
  return pgstat_full(s, b, sigma, y, ts, tb, f_out).value;
}

double chi2_bin(double s, double m, double sigma) {
  SPECNET_CHECK(std::isfinite(s) && std::isfinite(m), "chi2: counts and model must be finite (S=", s, ", m=", m, ")");
  SPECNET_CHECK(std::isfinite(sigma) && sigma > 0, "chi2: error must be finite and > 0, got ", sigma);
  return (s - m) * (s - m) / (sigma * sigma);
}

void check_fit_data(const FitData& d) {
  const std::size_t n = d.counts.size();
  const char* name = statistic_name(d.statistic);
  SPECNET_CHECK(n > 0, name, ": no bins to fit (empty spectrum or every channel ignored)");
  SPECNET_CHECK(std::isfinite(d.exposure_s) && d.exposure_s > 0, name, ": exposure must be > 0, got ", d.exposure_s);
  for (std::size_t i = 0; i < n; ++i)
    SPECNET_CHECK(std::isfinite(d.counts[i]) && d.counts[i] >= 0, name, ": source counts in bin ", i,
                  " must be finite and >= 0, got ", d.counts[i]);
  const bool has_bkg = !d.background_counts.empty();
  SPECNET_CHECK(has_bkg || !needs_background(d.statistic), name, " needs background counts (use cstat without one)");
  if (has_bkg) {
    SPECNET_CHECK(d.background_counts.size() == n, name, ": ", d.background_counts.size(),
                  " background bins for ", n, " source bins");
    SPECNET_CHECK(std::isfinite(d.background_exposure_s) && d.background_exposure_s > 0, name,
                  ": background exposure must be > 0, got ", d.background_exposure_s);
    for (std::size_t i = 0; i < n; ++i) {
      const double b = d.background_counts[i];
      SPECNET_CHECK(std::isfinite(b) && (b >= 0 || d.statistic == Statistic::pgstat), name,
                    ": background counts in bin ", i, " must be finite and >= 0, got ", b);
    }
  }
  SPECNET_CHECK(d.stat_err.empty() || d.stat_err.size() == n, name, ": ", d.stat_err.size(), " errors for ", n, " bins");
  SPECNET_CHECK(d.background_err.empty() || d.background_err.size() == n, name, ": ", d.background_err.size(),
                " background errors for ", n, " bins");
  for (std::size_t i = 0; i < d.stat_err.size(); ++i)
    SPECNET_CHECK(std::isfinite(d.stat_err[i]) && (d.stat_err[i] > 0 || d.statistic != Statistic::chi2), name,
                  ": STAT_ERR in bin ", i, " must be > 0, got ", d.stat_err[i]);
  for (std::size_t i = 0; i < d.background_err.size(); ++i)
    SPECNET_CHECK(std::isfinite(d.background_err[i]) && d.background_err[i] >= 0, name, ": background error in bin ",
                  i, " must be finite and >= 0, got ", d.background_err[i]);
}

double evaluate_statistic(const FitData& d, const double* y, double* per_bin, double* d_dy, double* weight) {
  const std::size_t n = d.counts.size();
  const double ts = d.exposure_s, tb = d.background_exposure_s;
  const bool has_bkg = !d.background_counts.empty();
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    SPECNET_CHECK(std::isfinite(y[i]) && y[i] >= 0, statistic_name(d.statistic), ": model rate in bin ", i,
                  " is ", y[i], " (must be finite and >= 0)");
    const double s = d.counts[i];
    BinValue r{};
    switch (d.statistic) {
      case Statistic::cstat: r = cstat_full(s, y[i], ts); break;
      case Statistic::wstat: r = wstat_full(s, d.background_counts[i], y[i], ts, tb, nullptr); break;
      case Statistic::pgstat: {
        const double b = d.background_counts[i];
        const double sb = d.background_err.empty() ? std::sqrt(std::max(b, 0.0)) : d.background_err[i];
        r = pgstat_full(s, b, sb, y[i], ts, tb, nullptr);
        break;
      }
      case Statistic::chi2: {
        const double sigma_s = d.stat_err.empty() ? std::sqrt(std::max(s, 1.0)) : d.stat_err[i];
        double var = sigma_s * sigma_s, net = s;
        if (has_bkg) {
          const double b = d.background_counts[i], scale = ts / tb;
          const double sb = d.background_err.empty() ? std::sqrt(std::max(b, 0.0)) : d.background_err[i];
          net -= scale * b;
          var += scale * scale * sb * sb;
        }
        const double resid = net - ts * y[i];
        r = {resid * resid / var, -2 * ts * resid / var, 2 * ts * ts / var};
        break;
      }
    }
    total += r.value;
    if (per_bin) per_bin[i] = r.value;
    if (d_dy) d_dy[i] = r.d1;
    if (weight) weight[i] = r.d2;
  }
  return total;
}

std::int64_t degrees_of_freedom(const FitData& data, std::int64_t num_free) {
  return static_cast<std::int64_t>(data.counts.size()) - num_free;
}

double reduced_statistic(double statistic, std::int64_t dof) {
  return dof > 0 ? statistic / static_cast<double>(dof) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace specnet::fit
