// `specnet bhb oracle`: what the exact posterior (training prior x the Poisson law of the simulation, ensemble MCMC)
// scores on `bhb report`'s metrics (paper 002: PCC of 50 draws, HPD coverage, reduced PG-stat at the median).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "bhb_cli.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/importance.h"
#include "specnet/bhb/oracle.h"
#include "specnet/bhb/train.h"
#include "specnet/context.h"

namespace specnet::cli {
namespace {

using namespace specnet::bhb;

double median(std::vector<double> v) {
  SPECNET_CHECK(!v.empty(), "median of nothing");
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

std::vector<double> coverage_of(const Posterior& post) {
  return coverage(hpd_levels(post.log_q, post.truth_log_q, post.N, post.n), credible_levels());
}

}  // namespace

int run_bhb_oracle(const Args& args) {
  Options opt(args, {{"data", "|labelled synthetic record file (required)"},
                     {"proposal", "mcmc|how the exact posterior is drawn: mcmc (ensemble from the truth) or network "
                                  "(the --model's draws reweighted by importance sampling, --network-samples per spectrum)"},
                     {"count", "200|spectra (the first N of the set)"},
                     {"refine-rounds", "16|--proposal network: adaptive Student-t rounds after the network's draws (0: plain "
                                       "importance sampling of the network's draws)"},
                     {"fit-check", "130|--proposal network: Levenberg-Marquardt iterations of a fit from the refined "
                                   "median that restarts the rounds when it beats every draw (0: off)"},
                     {"move-steps", "0|--proposal network: random-walk Metropolis steps on every resampled draw "
                                    "(resample-move; 0: off)"},
                     {"samples", "64|posterior draws kept (or resampled) per spectrum (PCC uses the first 50)"},
                     {"walkers", "16|MCMC walkers (even, >= 4)"},
                     {"steps", "1200|MCMC steps per walker, burn-in included"},
                     {"burn-in", "1000|steps discarded (shorter chains over-cover: docs/results-bhb.md)"},
                     {"start-width", "0.001|walkers start around the truth, this fraction of each prior width"},
                     {"model", "|optional trained checkpoint: the network's metrics on the same spectra beside"},
                     {"network-samples", "1024|network draws per spectrum (with --model; the proposals of --proposal network)"},
                     {"pgstat-count", "20|spectra with a fitting baseline (130 LM iterations from the oracle median)"},
                     {"fit-iterations", "130|Levenberg-Marquardt iterations of the fitting baseline"},
                     {"seed", "0|random seed (spectrum i: MCMC seed + i)"},
                     {"out-dir", "bhb_oracle|directory for oracle.md and oracle_spectra.csv (must exist)"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"}});
  if (opt.help()) {
    std::printf("specnet bhb oracle: PCC, HPD coverage and PG-stat of the exact posterior (MCMC) on a synthetic set\n%s",
                opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  const Dataset d = read_first_records(opt, 1);
  const long long count = d.size();
  OracleOptions o;
  o.samples = opt.integer("samples");
  SPECNET_CHECK(o.samples >= 2, "--samples must be >= 2, got ", o.samples);
  o.walkers = static_cast<int>(opt.integer("walkers"));
  o.steps = static_cast<int>(opt.integer("steps"));
  o.burn_in = static_cast<int>(opt.integer("burn-in"));
  o.start_width = opt.num("start-width");
  o.seed = static_cast<std::uint64_t>(opt.integer("seed"));
  const std::string method = opt.str("proposal");
  SPECNET_CHECK(method == "mcmc" || method == "network", "--proposal must be mcmc or network, got '", method, "'");
  const bool by_is = method == "network";
  SPECNET_CHECK(!by_is || !opt.str("model").empty(), "--proposal network needs --model (the network that proposes)");
  const char* who = by_is ? "network+IS" : "oracle";  // the exact posterior's column label
  const std::string dir = opt.str("out-dir");
  {
    std::ofstream probe(dir + "/oracle.md");
    SPECNET_CHECK(probe.good(), "cannot write ", dir, "/oracle.md (does --out-dir exist?)");
  }
  NetworkOrScaling ns = network_or_scaling(opt.str("model"), d);
  std::unique_ptr<Network>& net = ns.net;
  const Scaling& scaling = ns.scaling;
  const Simulation sim = make_simulation(d.header.kind, d.header.seed);

  std::ofstream csv(dir + "/oracle_spectra.csv");
  SPECNET_CHECK(csv.good(), "cannot write ", dir, "/oracle_spectra.csv");
  csv << "record,index";
  for (const char* n : kParamNames) csv << ",true_" << n;
  for (const char* n : kParamNames) csv << ",median_" << n;
  csv << (by_is ? ",hpd_level,ess,network_ess,rounds,restart" : ",hpd_level,acceptance,max_tau")
      << ",truth_log_post,max_draw_log_post,truth_lr\n";
  // The truth's likelihood-ratio statistic per spectrum: chi2_cdf of it is the asymptotic HPD level of the truth
  // under the exact posterior, so its coverage curve is what an exact posterior scores on these very spectra.
  std::vector<double> lr_levels;  // (count)
  const auto t_start = std::chrono::steady_clock::now();
  const auto progress = [&](std::int64_t i, const OracleRun& r) {
    char line[256];
    const double hpd = hpd_levels(std::vector<float>(r.post.log_q.end() - o.samples, r.post.log_q.end()),
                                  {r.post.truth_log_q.back()}, 1, o.samples)[0];
    csv << i << ',' << d.index[i];
    for (double v : r.truth.back()) csv << ',' << v;
    Posterior one;
    one.N = 1;
    one.n = o.samples;
    one.samples.assign(r.post.samples.end() - o.samples * kNumParams, r.post.samples.end());
    for (double v : posterior_median(one, scaling, 0)) csv << ',' << v;
    csv << ',' << hpd;
    if (by_is)
      csv << ',' << r.ess.back() << ',' << r.network_ess.back() << ',' << r.rounds.back() << ',' << r.restart.back();
    else
      csv << ',' << r.acceptance.back() << ',' << r.max_tau.back();
    const double lr = truth_likelihood_ratio(sim, r.counts.back(), r.truth.back());
    lr_levels.push_back(chi2_cdf(lr, kNumParams));
    csv << ',' << r.post.truth_log_q.back() << ',' << *std::max_element(r.post.log_q.end() - o.samples, r.post.log_q.end())
        << ',' << lr << '\n';
    csv.flush();
    const double el = seconds_since(t_start);
    if (by_is)
      std::snprintf(line, sizeof line, "%s: %lld/%lld spectra, ESS %.1f (network's draws %.1f, %d rounds), %.0f s, "
                    "ETA %.0f s\n", who, (long long)i + 1, count, r.ess.back(), r.network_ess.back(),
                    r.rounds.back(), el, el / (i + 1) * (count - i - 1));
    else
      std::snprintf(line, sizeof line, "oracle: %lld/%lld spectra, acceptance %.2f, max tau %.1f steps, %.0f s, ETA %.0f s\n",
                    (long long)i + 1, count, r.acceptance.back(), r.max_tau.back(), el, el / (i + 1) * (count - i - 1));
    std::fputs(line, stderr);
  };
  // The network's draws come first: with --proposal network they are the proposals, reweighted per spectrum.
  Posterior net_post;
  if (net) net_post = sample_posterior(*net, scaling, d, opt.integer("network-samples"), o.seed + 1);
  RefineOptions ro;
  ro.rounds = static_cast<int>(opt.integer("refine-rounds"));
  ro.fit_iterations = static_cast<int>(opt.integer("fit-check"));
  SPECNET_CHECK(ro.fit_iterations >= 0, "--fit-check must be >= 0, got ", ro.fit_iterations);
  ro.move_steps = static_cast<int>(opt.integer("move-steps"));
  SPECNET_CHECK(ro.move_steps >= 0, "--move-steps must be >= 0, got ", ro.move_steps);
  const OracleRun run = by_is ? run_importance(sim, scaling, d, count, net_post, o.samples, o.seed, ro, progress)
                              : run_oracle(sim, scaling, d, count, o, progress);
  const Posterior& post = run.post;

  std::ostringstream md;
  char buf[640];
  if (by_is) {
    // ESS quantiles: median, 10th percentile, min, and how many spectra fall below 10 and 50.
    const auto summary = [&](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      const auto below = [&](double t) { return (long long)(std::lower_bound(v.begin(), v.end(), t) - v.begin()); };
      char s[200];
      std::snprintf(s, sizeof s, "median %.1f, 10th percentile %.1f, min %.1f; below 10: %lld, below 50: %lld of %lld",
                    v[v.size() / 2], v[v.size() / 10], v.front(), below(10), below(50), (long long)v.size());
      return std::string(s);
    };
    double rounds = 0;
    for (int r : run.rounds) rounds += r;
    const long long tried = std::count_if(run.restart.begin(), run.restart.end(), [](int v) { return v > 0; }),
                    kept = std::count(run.restart.begin(), run.restart.end(), 2);
    std::snprintf(buf, sizeof buf,
                  "# BHB oracle by importance sampling: the network's draws, refined and reweighted to the exact "
                  "posterior\n\ndata `%s` (%s, first %lld spectra), model `%s`, %lld proposals per round, up to %d "
                  "adaptive Student-t rounds (mean %.2f), resampled to %lld draws, %d threads: %.1f s (%.3f s per "
                  "spectrum)\n\n",
                  opt.str("data").c_str(), dataset_kind_name(d.header.kind), count, opt.str("model").c_str(),
                  (long long)net_post.n, ro.rounds, rounds / count, (long long)o.samples, num_threads(), run.seconds,
                  run.seconds / count);
    md << buf;
    md << "effective sample size of the network's own draws (of " << net_post.n << "): "
       << summary(run.network_ess) << "\n\neffective sample size of the last round: " << summary(run.ess)
       << "\n\n";
    if (ro.fit_iterations > 0)
      md << "fit check (" << ro.fit_iterations << " LM iterations from the refined median): the fit beat every draw "
         << "and the rounds restarted from it on " << tried << " spectra; the restarted run was kept on " << kept << "\n\n";
    md << "(the ESS of the network's draws measures how far its posterior is from the exact one: n when equal, "
          "~1 when much wider or off; a small last-round ESS means the resampled draws repeat a few proposals)\n\n";
  } else {
    std::snprintf(buf, sizeof buf,
                  "# BHB oracle: the exact posterior on the network's metrics\n\ndata `%s` (%s, first %lld spectra), "
                  "%d walkers x %d steps (burn-in %d), %lld draws kept per spectrum, start width %g of the prior box, "
                  "%d threads: %.1f s (%.2f s per spectrum)\n\n",
                  opt.str("data").c_str(), dataset_kind_name(d.header.kind), count, o.walkers, o.steps, o.burn_in,
                  (long long)o.samples, o.start_width, num_threads(), run.seconds, run.seconds / count);
    md << buf;
    std::vector<double> ratio;
    for (double t : run.max_tau) ratio.push_back((o.steps - o.burn_in) / t);
    std::snprintf(buf, sizeof buf,
                  "convergence: acceptance median %.3f (min %.3f, max %.3f); largest autocorrelation time per spectrum "
                  "median %.1f steps (max %.1f); kept steps / tau median %.1f (min %.1f); burn-in / tau median %.1f\n\n",
                  median(run.acceptance), *std::min_element(run.acceptance.begin(), run.acceptance.end()),
                  *std::max_element(run.acceptance.begin(), run.acceptance.end()), median(run.max_tau),
                  *std::max_element(run.max_tau.begin(), run.max_tau.end()), median(ratio),
                  *std::min_element(ratio.begin(), ratio.end()), o.burn_in / median(run.max_tau));
    md << buf;
  }

  md << "| parameter | " << who << " PCC (50 draws x spectra) | " << who << " PCC (median) |"
     << (net ? " network PCC (50 draws) | network PCC (median) |" : "") << " target |\n|---|---|---|"
     << (net ? "---|---|" : "") << "---|\n";
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    const ParameterPcc a = parameter_pcc(post, p);
    std::snprintf(buf, sizeof buf, "| %s | %.3f | %.3f |", kParamNames[p], a.draws, a.median);
    md << buf;
    if (net) {
      const ParameterPcc b = parameter_pcc(net_post, p);
      std::snprintf(buf, sizeof buf, " %.3f | %.3f |", b.draws, b.median);
      md << buf;
    }
    md << " >= 0.9 |\n";
  }

  const std::vector<double> levels = credible_levels(), cov = coverage_of(post);
  const std::vector<double> net_cov = net ? coverage_of(net_post) : std::vector<double>();
  const std::vector<double> ref_cov = coverage(lr_levels, levels);
  const double worst = coverage_deviation(cov, levels), ref_worst = coverage_deviation(ref_cov, levels);
  const double net_worst = net ? coverage_deviation(net_cov, levels) : 0;
  md << "\n| credible level | " << who << " coverage | exact posterior, asymptotic (truth's likelihood ratio) |"
     << (net ? " network coverage |" : "") << "\n|---|---|---|" << (net ? "---|" : "") << "\n";
  for (std::size_t k = 0; k < levels.size(); ++k) {
    if (k % 2 == 1 || k + 1 == levels.size()) {
      std::snprintf(buf, sizeof buf, "| %.2f | %.3f | %.3f |", levels[k], cov[k], ref_cov[k]);
      md << buf;
      if (net) {
        std::snprintf(buf, sizeof buf, " %.3f |", net_cov[k]);
        md << buf;
      }
      md << "\n";
    }
  }
  std::snprintf(buf, sizeof buf, "\nlargest |coverage - level|: %s %.3f, asymptotic exact posterior %.3f", who, worst,
                ref_worst);
  md << buf;
  if (net) {
    std::snprintf(buf, sizeof buf, ", network %.3f", net_worst);
    md << buf;
  }
  md << " (target <= 0.05; with N spectra the sampling error of a coverage is ~0.5 / sqrt(N))\n\n"
     << "The asymptotic column takes chi2_cdf(2 (max log posterior - log posterior at the truth), " << kNumParams
     << ") as each truth's HPD level (Wilks: exact for a Gaussian posterior under the flat prior). It is what an exact "
        "posterior scores on these same spectra, so a method's shortfall is its distance from that column, not from "
        "the diagonal; the column itself strays from the diagonal by the sampling error of the spectra drawn, and "
        "over-covers in the centre where posteriors are cut by the prior box (docs/bhb.md): read it at the upper "
        "levels.\n\n";

  md << "PCC by subset of the true parameters (" << who << ", 50 draws / median" << (net ? "; network in the second row" : "")
     << "):\n\n| subset | spectra |";
  for (const char* n : kParamNames) md << ' ' << n << " |";
  md << "\n|---|---|---|---|---|---|---|\n";
  std::vector<double> truth_flat;  // (count, P)
  for (const auto& t : run.truth) truth_flat.insert(truth_flat.end(), t.begin(), t.end());
  for (const SpectrumSubset& s : spectrum_subsets(truth_flat.data(), static_cast<std::int64_t>(run.truth.size()))) {
    md << "| " << s.name << " | " << s.rows.size() << " |";
    for (std::int64_t p = 0; p < kNumParams; ++p) md << ' ' << pcc_cell(post, p, s.rows) << " |";
    md << "\n";
    if (net) {
      md << "| " << s.name << " (network) | " << s.rows.size() << " |";
      for (std::int64_t p = 0; p < kNumParams; ++p) md << ' ' << pcc_cell(net_post, p, s.rows) << " |";
      md << "\n";
    }
  }

  // Reduced PG-stat (the report's definition) at the exact posterior's median, at the truth, at the network's median,
  // and of the fitting baseline started from the exact median on the first pgstat-count spectra. One spectrum per
  // task: the fits dominate, and each builds its own problem, so the table does not depend on the thread count.
  const long long npg = std::min<long long>(opt.integer("pgstat-count"), count);
  SPECNET_CHECK(npg >= 0, "--pgstat-count must be >= 0");
  std::vector<double> r_med(count), r_true(count), r_net(count), r_fit(npg);  // (count), (npg)
  const int iters = static_cast<int>(opt.integer("fit-iterations"));
  parallel_for(count, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const auto med = posterior_median(post, scaling, i);
      r_med[i] = reduced_pgstat(sim, run.counts[i], med);
      r_true[i] = reduced_pgstat(sim, run.counts[i], run.truth[i]);
      if (net) r_net[i] = reduced_pgstat(sim, run.counts[i], posterior_median(net_post, scaling, i));
      if (i < npg) {
        std::array<double, kNumParams> fitted{};
        r_fit[i] = fit_baseline(sim, run.counts[i], iters, fitted, &med).reduced;
      }
    }
  });
  const auto head = [](const std::vector<double>& v, long long k) { return std::vector<double>(v.begin(), v.begin() + k); };
  std::snprintf(buf, sizeof buf,
                "\n| median reduced PG-stat | %s posterior median | true parameters |%s\n|---|---|---|%s\n"
                "| %lld spectra | %.3f | %.3f |",
                who, net ? " network posterior median |" : "", net ? "---|" : "", count, median(r_med), median(r_true));
  md << buf;
  if (net) {
    std::snprintf(buf, sizeof buf, " %.3f |", median(r_net));
    md << buf;
  }
  md << "\n";
  if (npg > 0) {
    std::snprintf(buf, sizeof buf,
                  "\nfitting baseline (%d LM iterations from the %s median) on the first %lld spectra: median "
                  "reduced PG-stat %.3f; %s median on the same spectra %.3f; %s / fit = %.4f (target: within 5%%)",
                  iters, who, npg, median(r_fit), who, median(head(r_med, npg)), who,
                  median(head(r_med, npg)) / median(r_fit));
    md << buf;
    if (net) {
      std::snprintf(buf, sizeof buf, "; network median %.3f, network / fit = %.4f", median(head(r_net, npg)),
                    median(head(r_net, npg)) / median(r_fit));
      md << buf;
    }
    md << "\n";
  }
  md << "\nper spectrum: oracle_spectra.csv (truth, " << who << " median, HPD level of the truth, "
     << (by_is ? "ESS" : "acceptance, max tau") << ", log posterior at the truth and the largest over the draws)\n";
  {
    std::ofstream f(dir + "/oracle.md");
    SPECNET_CHECK(f.good(), "cannot write ", dir, "/oracle.md");
    f << md.str();
  }
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace specnet::cli
