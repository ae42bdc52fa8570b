// `specnet bhb posterior`: the network's posterior of real NICER PHA spectra in one pass, then checked and refined by
// importance sampling against the fit posterior of the same files (training prior x PG-stat with the background
// spectrum, C-stat without): the effective sample size says whether the network's posterior can be trusted for this
// spectrum, and the resampled draws follow the fit posterior where it cannot (docs/bhb.md).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "bhb_cli.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/importance.h"
#include "specnet/bhb/spectrum_posterior.h"
#include "specnet/bhb/train.h"
#include "specnet/context.h"
#include "specnet/ic/io_util.h"

namespace specnet::cli {
namespace {

using namespace specnet::bhb;
constexpr std::int64_t P = kNumParams;

// 5%, 50%, 95% quantiles of every parameter of draws (n, P) in `scaling`'s space, in physical units.
struct Quantiles {
  std::array<std::array<double, 3>, P> q{};  // (P, 3)
  std::array<double, P> median() const {
    std::array<double, P> m{};
    for (std::int64_t p = 0; p < P; ++p) m[p] = q[p][1];
    return m;
  }
};
Quantiles quantiles(const Scaling& scaling, const float* draws, std::int64_t n) {
  Quantiles out;
  std::vector<double> v(n);
  for (std::int64_t p = 0; p < P; ++p) {
    for (std::int64_t j = 0; j < n; ++j) v[j] = scaling.to_physical(p, draws[j * P + p]);
    std::sort(v.begin(), v.end());
    const auto at = [&](double q) { return v[std::min<std::int64_t>(n - 1, static_cast<std::int64_t>(q * n))]; };
    out.q[p] = {at(0.05), at(0.5), at(0.95)};
  }
  return out;
}

// What the ESS says about one spectrum, for the report.
const char* verdict(double network_ess, double ess) {
  if (network_ess >= 100) return "network posterior agrees with the fit posterior";
  if (ess >= 50) return "network posterior too wide or offset: use the refined draws";
  if (ess >= 10) return "refined draws rest on few proposals: treat with care";
  return "not found: the refined draws are unreliable (ESS < 10)";
}

}  // namespace

int run_bhb_posterior(const Args& args) {
  Options opt(args, {{"model", "|trained checkpoint (required)"},
                     {"pha", "|spectra: SRC.pha[:BKG.pha],... or @FILE with one per line (required; COUNTS, the "
                             "response's channels)"},
                     {"response", "nicer|nicer or RMF[,ARF] of the spectra (1501 NICER PI channels)"},
                     {"n-det", "52|NICER detectors the network's input rate is divided by"},
                     {"samples", "1024|network draws per spectrum (the importance-sampling proposals of each round)"},
                     {"draws", "1024|refined draws kept per spectrum (resampled)"},
                     {"refine-rounds", "16|adaptive Student-t rounds after the network's draws (0: reweight the "
                                       "network's draws only)"},
                     {"fit-iterations", "130|Levenberg-Marquardt iterations of a fit from the refined median, which restarts the "
                                        "rounds from the fit when it beats every refined draw (0: no fit)"},
                     {"statistic", "pgstat|with a background file: pgstat (Gaussian background; biased with ~1 "
                                   "background count per channel or fewer) or wstat (Poisson background spectrum)"},
                     {"group", "file|bins of the fit statistic: file (the source's GROUPING column, as XSPEC), none, "
                               "min:N (>= N source counts per bin), bmin:N (>= N background counts per bin: for pgstat "
                               "with a sparse background file)"},
                     {"move-steps", "0|random-walk Metropolis steps on every refined draw (resample-move; 0: off)"},
                     {"corner", "4|spectra with a corner plot of network vs refined draws (the first N)"},
                     {"seed", "0|random seed (spectrum i: seed + i)"},
                     {"out-dir", "bhb_posterior|directory for posterior.md, posterior.csv, draws_<i>.csv and the plots "
                                 "(must exist)"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"}});
  if (opt.help()) {
    std::printf("specnet bhb posterior: network posterior of real PHA spectra, checked and refined by importance "
                "sampling against the fit posterior (%s, PG-stat with a background file, else C-stat)\n%s",
                kModelExpression, opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  SPECNET_CHECK(!opt.str("model").empty(), "--model is required\n", opt.usage());
  SPECNET_CHECK(!opt.str("pha").empty(), "--pha is required\n", opt.usage());
  const std::int64_t n = opt.integer("samples"), n_out = opt.integer("draws");
  SPECNET_CHECK(n >= 2 && n_out >= 2, "--samples and --draws must be >= 2, got ", n, " and ", n_out);
  RefineOptions ro;
  ro.rounds = static_cast<int>(opt.integer("refine-rounds"));
  SPECNET_CHECK(ro.rounds >= 0, "--refine-rounds must be >= 0, got ", ro.rounds);
  const int fit_iterations = static_cast<int>(opt.integer("fit-iterations"));
  SPECNET_CHECK(fit_iterations >= 0, "--fit-iterations must be >= 0");
  ro.fit_iterations = fit_iterations;
  ro.move_steps = static_cast<int>(opt.integer("move-steps"));
  SPECNET_CHECK(ro.move_steps >= 0, "--move-steps must be >= 0, got ", ro.move_steps);
  const std::uint64_t seed = static_cast<std::uint64_t>(opt.integer("seed"));
  SPECNET_CHECK(opt.str("statistic") == "pgstat" || opt.str("statistic") == "wstat",
                "--statistic must be pgstat or wstat, got '", opt.str("statistic"), "'");
  const fit::Statistic bkg_statistic = opt.str("statistic") == "wstat" ? fit::Statistic::wstat : fit::Statistic::pgstat;
  const fit::GroupingChoice grouping = fit::parse_grouping(opt.str("group"));
  const std::string dir = opt.str("out-dir");
  ic::write_text_file(dir + "/posterior.md", "");  // fails early when --out-dir does not exist

  const std::vector<PhaPair> items = parse_pha_list(opt.str("pha"));
  LoadedNetwork l = load_network(opt.str("model"));
  const Scaling& scaling = l.scaling;
  const Simulation sim = make_simulation(0, 0, opt.str("response"));  // the model, prior box and response
  const PriorBox box = prior_box(sim);
  Dataset d;  // the spectra as the network's input records (unlabelled)
  d.header.kind = 2;
  d.header.bins = sim.grouping.size();
  d.header.n_det = opt.num("n-det");
  d.header.exposure_s = 0;
  std::vector<PhaSpectra> files;  // each file read once: the network's input and the fit statistic come from it
  for (const PhaPair& it : items) {
    files.push_back(read_pha_spectra(it.source, it.background, sim.fakeit.matrix.num_outputs()));
    const GroupedSpectrum g = spectrum_from_pha(sim.grouping, files.back(), d.header.n_det);
    d.index.push_back(-1);
    d.params.insert(d.params.end(), P, std::nan(""));
    d.counts.push_back(g.source_counts);
    d.rate.insert(d.rate.end(), g.rate.begin(), g.rate.end());
    d.sigma.insert(d.sigma.end(), g.sigma.begin(), g.sigma.end());
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Posterior net = sample_posterior(*l.net, scaling, d, n, seed + 1);
  const double t_net = seconds_since(t0);

  std::ostringstream md, csv;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "# BHB posteriors of %zu spectra\n\nmodel `%s` (%s), response `%s`; network: %lld draws per spectrum in "
                "%.3f s for all; refinement: importance sampling against the fit posterior (prior box x exp(-stat/2)), "
                "up to %d adaptive rounds of %lld proposals, %lld draws kept, %d threads\n\n",
                items.size(), opt.str("model").c_str(), kModelExpression, opt.str("response").c_str(), (long long)n,
                t_net, ro.rounds, (long long)n, (long long)n_out, num_threads());
  md << buf;
  csv << "spectrum,source,background,statistic,fit_bins,source_counts,network_ess,ess,rounds,fit_log_post_gain,restart,seconds";
  for (const char* what : {"network", "refined"})
    for (const char* name : kParamNames) csv << ',' << what << "_" << name << "_q05," << what << "_" << name << "_q50,"
                                              << what << "_" << name << "_q95";
  csv << ",reduced_stat_network_median,reduced_stat_refined_median,reduced_stat_fit\n";
  const std::string header = csv.str();
  const std::int64_t columns = std::count(header.begin(), header.end(), ',') + 1;
  // One spectrum's section of posterior.md (sm) and row of posterior.csv (sc).
  const auto report_one = [&](std::int64_t i, std::ostringstream& sm, std::ostringstream& sc) {
      const auto ts = std::chrono::steady_clock::now();
      const SpectrumPosterior target(pha_problem(sim, files[i], bkg_statistic, grouping), box);
      const float* proposals = &net.samples[i * n * P];
      const ImportanceDraws r =
          importance_resample(target, scaling, proposals, &net.log_q[i * n], n, n_out, seed + static_cast<std::uint64_t>(i), ro);
      const Quantiles q_net = quantiles(scaling, proposals, n), q_ref = quantiles(scaling, r.samples.data(), n_out);
      const std::array<double, P> m_net = q_net.median(), m_ref = q_ref.median();
      const FitCheck& fc = r.fit;
      const double stat_fit = fc.ran ? fc.reduced_statistic : std::nan(""), fit_gain = fc.ran ? fc.log_post_gain : std::nan("");
      const std::array<double, P>& theta_fit = fc.theta;
      const int restart = fc.restart;
      const double stat_net = reduced_statistic(target.problem(), m_net), stat_ref = reduced_statistic(target.problem(), m_ref);
      const double sec = seconds_since(ts);
      const char* stat_name = fit::statistic_name(target.problem().data().statistic);
      // Draws: the network's then the refined, physical units, with the target's log posterior of the refined ones.
      {
        std::ostringstream dr;
        dr << "source";
        for (const char* name : kParamNames) dr << ',' << name;
        dr << ",log_post\n";
        const auto rows = [&](const char* what, const float* x, std::int64_t k, const float* lp) {
          for (std::int64_t j = 0; j < k; ++j) {
            dr << what;
            for (std::int64_t p = 0; p < P; ++p) dr << ',' << scaling.to_physical(p, x[j * P + p]);
            dr << ',';
            if (lp) dr << lp[j];
            dr << '\n';
          }
        };
        rows("network", proposals, n, nullptr);
        rows("refined", r.samples.data(), n_out, r.log_post.data());
        ic::write_text_file(dir + "/draws_" + std::to_string(i) + ".csv", dr.str());
      }
      std::snprintf(buf, sizeof buf,
                    "## spectrum %lld: `%s`%s%s\n\n%.0f source counts in the 240 groups; %s over %lld bins (grouping %s); ESS of the network's draws "
                    "%.1f of %lld, after %d refinement rounds %.1f: **%s** (%.1f s)\n\n",
                    (long long)i, items[i].source.c_str(), items[i].background.empty() ? "" : ", background `",
                    items[i].background.empty() ? "" : (items[i].background + "`").c_str(), d.counts[i], stat_name,
                    (long long)target.problem().num_bins(), fit::grouping_name(grouping).c_str(), r.network_ess,
                    (long long)n, r.rounds, r.weights.ess,
                    verdict(r.network_ess, r.weights.ess), sec);
      sm << buf << "| parameter | network median [5%, 95%] | refined median [5%, 95%] |" << (fit_iterations ? " fit |" : "")
         << "\n|---|---|---|" << (fit_iterations ? "---|" : "") << "\n";
      sc << i << ',' << items[i].source << ',' << items[i].background << ',' << stat_name << ',' << target.problem().num_bins() << ',' << d.counts[i] << ','
          << r.network_ess << ',' << r.weights.ess << ',' << r.rounds << ',' << fit_gain << ',' << restart
          << ',' << sec;
      std::ostringstream qcsv;
      for (std::int64_t p = 0; p < P; ++p) {
        const auto &qn = q_net.q[p], &qr = q_ref.q[p];
        std::snprintf(buf, sizeof buf, "| %s | %.4g [%.4g, %.4g] | %.4g [%.4g, %.4g] |", kParamNames[p], qn[1], qn[0],
                      qn[2], qr[1], qr[0], qr[2]);
        sm << buf;
        if (fit_iterations) {
          std::snprintf(buf, sizeof buf, " %.4g |", theta_fit[p]);
          sm << buf;
        }
        sm << '\n';
      }
      for (const Quantiles* w : {&q_net, &q_ref})
        for (const auto& q : w->q) qcsv << ',' << q[0] << ',' << q[1] << ',' << q[2];
      sc << qcsv.str() << ',' << stat_net << ',' << stat_ref << ',' << stat_fit << '\n';
      std::snprintf(buf, sizeof buf, "\nreduced %s at the network median %.4g, at the refined median %.4g", stat_name,
                    stat_net, stat_ref);
      sm << buf;
      if (fit_iterations) {
        std::snprintf(buf, sizeof buf, ", fit (%d LM iterations from the refined median, model limits) %.4g; the fit "
                      "clamped into the prior box has a log posterior %+.1f against the best refined draw", fit_iterations,
                      stat_fit, fit_gain);
        sm << buf;
        if (restart)
          sm << (restart == 2 ? " (the search missed it: restarted from the fit, and that run is kept)"
                              : " (restarted from the fit; the first run found more posterior mass and is kept)");
      }
      sm << "; draws in `draws_" << i << ".csv`";
      if (i < opt.integer("corner")) {
        const std::string path = dir + "/corner_" + std::to_string(i) + ".svg";
        corner_plot(path, std::vector<float>(proposals, proposals + n * P), n, r.samples, n_out, nullptr, "spectrum " + std::to_string(i) + " (z-scored)",
                    "refined");
        sm << ", corner plot `corner_" << i << ".svg`";
      }
      sm << "\n\n";
      // PG-stat profiles a Gaussian background per bin, which is biased where the background spectrum holds a few
      // counts per bin or fewer (docs/results-bhb.md, ninth session): say so when most bins are that sparse.
      const std::vector<double>& bkg_bins = target.problem().data().background_counts;
      if (bkg_statistic == fit::Statistic::pgstat && !bkg_bins.empty()) {
        const auto sparse = std::count_if(bkg_bins.begin(), bkg_bins.end(), [](double b) { return b < 5; });
        if (2 * sparse > static_cast<std::int64_t>(bkg_bins.size()))
          sm << "**note**: " << sparse << " of " << bkg_bins.size() << " bins hold fewer than 5 background counts; "
             << "PG-stat is biased there and can move the refined posterior off the truth (`--group bmin:5` groups "
                "to >= 5 background counts per bin, or `--statistic wstat` for a Poisson background spectrum)\n\n";
      }
      const double el = seconds_since(t0);
      std::fprintf(stderr, "bhb posterior: %lld/%zu spectra, network ESS %.1f, refined ESS %.1f (%d rounds), %.0f s, ETA %.0f s\n",
                   (long long)i + 1, items.size(), r.network_ess, r.weights.ess, r.rounds, el,
                   el / double(i + 1) * double(d.size() - i - 1));
  };
  // A spectrum that fails (a bad file, no draw in the prior without rounds) gets a line and a row saying so; the
  // others are still reported, and the exit status is 3.
  int failed = 0;
  for (std::int64_t i = 0; i < d.size(); ++i) {
    std::ostringstream sm, sc;
    try {
      report_one(i, sm, sc);
    } catch (const Error& e) {
      ++failed;
      sm.str("");
      sc.str("");
      sm << "## spectrum " << i << ": `" << items[i].source << "`\n\n**failed**: " << e.what() << "\n\n";
      sc << i << ',' << items[i].source << ',' << items[i].background << ",failed";
      for (std::int64_t k = 4; k < columns; ++k) sc << ",nan";
      sc << '\n';
      std::fprintf(stderr, "bhb posterior: spectrum %lld failed: %s\n", (long long)i, e.what());
    }
    md << sm.str();
    csv << sc.str();
  }
  md << "ESS: Kish effective sample size of the importance weights. Near the number of draws when the network's "
        "posterior equals the fit posterior, near 1 when it is much wider or elsewhere (then the adaptive rounds search "
        "from it). The refined draws follow the fit posterior of the files given; the network's follow what it "
        "learned from the synthetic training set.\n";
  ic::write_text_file(dir + "/posterior.csv", csv.str());
  ic::write_text_file(dir + "/posterior.md", md.str());
  std::printf("%s", md.str().c_str());
  return failed ? 3 : 0;
}

}  // namespace specnet::cli
