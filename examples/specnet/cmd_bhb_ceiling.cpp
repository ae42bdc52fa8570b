// `specnet bhb ceiling`: the exact posterior's density at the truth (bhb::truth_log_density) on a synthetic set, as the
// flow NLL that no amortised posterior can beat on average, beside the network's own -log q(truth | x), by subset.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <sstream>

#include "bhb_cli.h"
#include "specnet/bhb/calibrate.h"
#include "specnet/bhb/oracle.h"
#include "specnet/bhb/residual.h"
#include "specnet/bhb/svg.h"
#include "specnet/bhb/train.h"
#include "specnet/ic/io_util.h"
#include "specnet/ic/metrics.h"

namespace specnet::cli {

using namespace specnet::bhb;

namespace {

double mean_of(const std::vector<double>& v, const std::vector<std::int64_t>& rows) {
  double s = 0;
  for (std::int64_t r : rows) s += v[r];
  return s / double(rows.size());
}

double median_of(const std::vector<double>& v, const std::vector<std::int64_t>& rows) {
  std::vector<double> x;
  for (std::int64_t r : rows) x.push_back(v[r]);
  return ic::median(std::move(x));
}

}  // namespace

int run_bhb_ceiling(const Args& args) {
  Options opt(args, {{"data", "|labelled synthetic record file (required)"},
                     {"count", "400|spectra (the first N of the set)"},
                     {"model", "|optional trained checkpoint: its -log q(truth | x) beside, in its scaled space"},
                     {"residual", "|optional residual stages trained on --model (bhb train --residual-of; comma-separated, "
                                  "in chain order): the chain's -log q(truth | x) instead of the first network's"},
                     {"draws", "256|importance-sampling draws per spectrum for the exact normaliser (0: Laplace only)"},
                     {"seed", "0|random seed (spectrum i: seed + i)"},
                     {"out-dir", "|write ceiling.md and ceiling_spectra.csv here (must exist)"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"}});
  if (opt.help()) {
    std::printf("specnet bhb ceiling: the exact posterior's -log p(truth | x), the flow NLL no network can beat on "
                "average, beside the network's\n%s",
                opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  const Dataset d = read_first_records(opt, 2);
  const long long count = d.size();
  TruthDensityOptions o;
  o.draws = opt.integer("draws");
  SPECNET_CHECK(o.draws >= 0, "--draws must be >= 0, got ", o.draws);
  const std::uint64_t seed = static_cast<std::uint64_t>(opt.integer("seed"));
  NetworkOrScaling ns = network_or_scaling(opt.str("model"), d);
  std::unique_ptr<Network>& net = ns.net;
  const Scaling& scaling = ns.scaling;
  // A density in the scaled space z = (u - mean) / stdev is the one in u times prod(stdev).
  double log_jacobian = 0;
  for (std::int64_t p = 0; p < kNumParams; ++p) log_jacobian += std::log(scaling.stdev[p]);
  const Simulation sim = make_simulation(d.header.kind, d.header.seed);

  std::vector<double> laplace(count), importance(count), ess(count), lr(count);  // (count) NLLs in the scaled space
  std::atomic<long long> done{0};
  std::mutex print;
  const auto t0 = std::chrono::steady_clock::now();
  parallel_for(count, 1, [&](std::int64_t i0, std::int64_t i1) {
    for (std::int64_t i = i0; i < i1; ++i) {
      std::vector<double> counts;
      std::array<double, kNumParams> truth{}, u{};
      resimulate_record(sim, d, i, counts, truth);
      for (std::int64_t p = 0; p < kNumParams; ++p) u[p] = kParamLog[p] ? std::log10(truth[p]) : truth[p];
      TruthDensityOptions oi = o;
      oi.seed = seed + static_cast<std::uint64_t>(i);
      const TruthDensity t = truth_log_density(ExactPosterior(sim, counts), u, oi);
      laplace[i] = -t.laplace - log_jacobian;
      importance[i] = o.draws > 0 ? -t.importance - log_jacobian : laplace[i];
      ess[i] = t.ess;
      lr[i] = t.lr;
      const long long n = ++done;
      if (n % 20 == 0 || n == count) {
        std::lock_guard<std::mutex> lock(print);
        const double s = seconds_since(t0);
        std::printf("bhb ceiling: %lld/%lld spectra, %.0f s elapsed, ETA %.0f s\n", n, count, s, s / n * (count - n));
        std::fflush(stdout);
      }
    }
  });
  const double seconds = seconds_since(t0);
  std::vector<double> network(count, std::nan(""));  // (count) -log q(truth | x)
  const std::string residual = opt.str("residual");
  SPECNET_CHECK(residual.empty() || net, "--residual needs --model (the first network it was trained on)");
  if (!residual.empty()) {
    const ResidualStages stages = load_residual_stages(residual, *net, d.header);
    const Posterior post = residual_posterior(stages.chain(*net), scaling, sim, d, 1, seed);
    for (long long i = 0; i < count; ++i) network[i] = -post.truth_log_q[i];
  } else if (net) {
    const TruthNoise tn = truth_noise(*net, scaling, d, encode_all(*net, scaling, d));
    const std::vector<double> lq = truth_log_q(tn, net->flow->options.base_scale, net->flow->options.base_df);
    for (long long i = 0; i < count; ++i) network[i] = -lq[i];
  }
  std::int64_t failed = 0;  // spectra whose Laplace or importance estimate is not finite: left out of the means
  std::vector<std::int64_t> ok;
  for (long long i = 0; i < count; ++i) {
    if (std::isfinite(laplace[i]) && std::isfinite(importance[i])) ok.push_back(i);
    else ++failed;
  }
  SPECNET_CHECK(!ok.empty(), "bhb ceiling: no spectrum gave a finite exact density");

  std::ostringstream md;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "# BHB NLL ceiling: the exact posterior's -log p(truth | x)\n\nset `%s`, %lld spectra, %lld importance "
                "draws each, %.0f s on %d threads%s%s\n\n",
                opt.str("data").c_str(), count, (long long)o.draws, seconds, num_threads(), net ? ", network " : "",
                net ? ("`" + opt.str("model") + "` (" + base_description(net->flow->options) + ")" +
                       (residual.empty() ? "" : " with the residual stages `" + residual + "`"))
                          .c_str()
                    : "");
  md << buf;
  md << "Mean -log density of the truth in the network's scaled parameter space (the training's flow NLL; lower is "
        "better). Over spectra drawn from the prior no posterior scores below the exact one on average.";
  if (o.draws == 0) md << " Without importance draws (--draws 0) the importance column repeats the Laplace one.";
  md << "\n\n"
        "| subset | spectra | exact (importance) | exact (Laplace) | network | network - exact | median ESS |\n"
        "|---|---|---|---|---|---|---|\n";
  std::vector<double> params, total;  // (count, P), (count) of the kept spectra
  for (std::int64_t i : ok) {
    params.insert(params.end(), d.params.begin() + i * kNumParams, d.params.begin() + (i + 1) * kNumParams);
    total.push_back(d.counts[i]);
  }
  auto pick = [&](const std::vector<double>& v) {
    std::vector<double> out;
    for (std::int64_t i : ok) out.push_back(v[i]);
    return out;
  };
  const std::vector<double> imp = pick(importance), lap = pick(laplace), netk = pick(network), essk = pick(ess);
  for (const SpectrumSubset& s :
       spectrum_subsets(params.data(), static_cast<std::int64_t>(ok.size()), total.data())) {
    if (s.rows.empty()) continue;
    const double e = mean_of(imp, s.rows);
    if (net) {
      const double n = mean_of(netk, s.rows);
      std::snprintf(buf, sizeof buf, "| %s | %zu | %.3f | %.3f | %.3f | %.3f | %.0f |\n", s.name.c_str(), s.rows.size(),
                    e, mean_of(lap, s.rows), n, n - e, median_of(essk, s.rows));
    } else {
      std::snprintf(buf, sizeof buf, "| %s | %zu | %.3f | %.3f | | | %.0f |\n", s.name.c_str(), s.rows.size(), e,
                    mean_of(lap, s.rows), median_of(essk, s.rows));
    }
    md << buf;
  }
  if (failed > 0) {
    std::snprintf(buf, sizeof buf, "\n%lld spectra without a finite exact density (a singular Fisher matrix, or no "
                  "importance weight) are left out.\n", (long long)failed);
    md << buf;
  }
  std::printf("%s", md.str().c_str());
  const std::string dir = opt.str("out-dir");
  if (!dir.empty()) {
    std::ostringstream csv;
    csv << "record,index,source_counts,truth_lr,exact_nll_importance,exact_nll_laplace,ess,network_nll\n";
    csv.precision(10);
    for (long long i = 0; i < count; ++i)
      csv << i << ',' << d.index[i] << ',' << d.counts[i] << ',' << lr[i] << ',' << importance[i] << ',' << laplace[i]
          << ',' << ess[i] << ',' << network[i] << '\n';
    ic::write_text_file(dir + "/ceiling_spectra.csv", csv.str());
    // Where the nats are: the exact and the network's -log density of each truth against the spectrum's counts.
    std::vector<double> log_counts;  // (kept spectra)
    for (double c : total) log_counts.push_back(std::log10(std::max(c, 1.0)));
    auto [x_lo, x_hi] = std::minmax_element(log_counts.begin(), log_counts.end());
    double y_lo = *std::min_element(imp.begin(), imp.end()), y_hi = *std::max_element(imp.begin(), imp.end());
    if (net)
      for (double v : netk) y_lo = std::min(y_lo, v), y_hi = std::max(y_hi, v);
    y_hi = std::min(y_hi, 20.0);  // a few badly missed truths would squash the rest
    SvgPlot svg(620, 400);
    const double x0 = std::floor(*x_lo), y0 = std::floor(y_lo);
    const int panel = svg.panel(70, 30, 520, 320, x0, std::max(std::ceil(*x_hi), x0 + 1), y0, std::max(std::ceil(y_hi), y0 + 1),
                                "log10 source counts", "-log density of the truth (scaled space)",
                                "exact posterior (black) and network (blue)");
    svg.points(panel, log_counts, imp, "black", 1.5, 0.4);
    if (net) svg.points(panel, log_counts, netk, "#1f77b4", 1.5, 0.4);
    svg.save(dir + "/ceiling.svg");
    ic::write_text_file(dir + "/ceiling.md", md.str() + "\nplot: ceiling.svg\n");
  }
  return 0;
}

}  // namespace specnet::cli
