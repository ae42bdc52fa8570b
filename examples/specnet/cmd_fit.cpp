// `specnet fit`: XSPEC-style fit of a model to a PHA Type I spectrum (table of values, errors, 90% intervals,
// statistic) or to every spectrum of a PHA Type II dataset in parallel (results as CSV).
#include <cstdio>
#include <memory>
#include <sstream>

#include "command.h"
#include <cmath>

#include "fit_json.h"
#include "specnet/fit/posterior.h"
#include "model_options.h"
#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/fit/batch.h"
#include "specnet/fit/fitter.h"
#include "specnet/io/pha.h"
#include "specnet/io/pha2.h"
#include "specnet/sim/instrument.h"

namespace specnet::cli {
namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

int run_fit(const Args& args) {
  Options opt(args, {{"data", "|source PHA file (Type I, or Type II with --type2) (required)"},
                     {"type2", "0|the data file is a PHA Type II dataset: fit every spectrum, write --out CSV"},
                     {"model", "|XSPEC model expression, e.g. tbabs*(apec+powerlaw) (required)"},
                     {"params", "|starting values name=value,..."},
                     {"freeze", "|parameters to freeze, comma separated"},
                     {"link", "|links target=source,... (the target follows the source, e.g. apec_3.Redshift=apec_2.Redshift)"},
                     {"mcmc", "0|after the fit, sample the posterior with this many ensemble-MCMC steps per walker (0: off)"},
                     {"walkers", "32|MCMC walkers (even)"},
                     {"response", "nustar|nustar, nicer, or RMF[,ARF] file paths"},
                     {"background", "|background PHA file (Type I) for wstat / pgstat / chi2"},
                     {"stat", "cstat|cstat, wstat, pgstat or chi2"},
                     {"emin", "3|lowest energy fitted (keV)"},
                     {"emax", "79|highest energy fitted (keV)"},
                     {"group", "file|fitted bins: file (the PHA's GROUPING column, as XSPEC; channels without one), none, N or "
                               "min:N (>= N source counts per bin, grppha), bmin:N (>= N background counts per bin, "
                               "ftgrouppha bmin: for pgstat / wstat with a sparse background)"},
                     {"errors", "*|parameters for 90% intervals, comma separated ('*' all free, 'none')"},
                     {"restarts", "0|extra random starts within the soft limits"},
                     {"seed", "0|seed of the random starts"},
                     {"threads", "0|threads for --type2 (0: SPECNET_NUM_THREADS or all cores)"},
                     {"quiet", "0|no progress lines"},
                     {"out", "fit.csv|CSV of the --type2 results"},
                     {"json", "|also write the Type I fit as JSON (values, errors, intervals, statistic) here"}});
  if (opt.help()) {
    std::printf("specnet fit: fit a model to a spectrum or a dataset\n%s", opt.usage().c_str());
    return 0;
  }
  SPECNET_CHECK(!opt.str("data").empty(), "--data is required\n", opt.usage());
  const long long threads = opt.integer("threads"), restarts = opt.integer("restarts"), seed = opt.integer("seed");
  SPECNET_CHECK(threads >= 0 && restarts >= 0 && seed >= 0, "--threads, --restarts and --seed must be >= 0");
  if (threads > 0) set_num_threads(static_cast<int>(threads));
  sim::CompositeModel model = model_from_options(opt);
  for (const std::string& name : split_commas(opt.str("freeze"))) model.freeze(name);
  for (const std::string& item : split_commas(opt.str("link"))) {
    const auto eq = item.find('=');
    SPECNET_CHECK(eq != std::string::npos && eq > 0 && eq + 1 < item.size(), "--link: '", item,
                  "' must look like target=source");
    model.link(item.substr(0, eq), item.substr(eq + 1));
  }
  const long long mcmc_steps = opt.integer("mcmc"), walkers = opt.integer("walkers");
  SPECNET_CHECK(mcmc_steps >= 0 && walkers >= 4 && walkers % 2 == 0, "--mcmc must be >= 0 and --walkers even and >= 4");
  const sim::InstrumentResponse response = sim::load_response(opt.str("response"));
  const auto matrix = std::make_shared<const io::SparseResponse>(response.matrix());

  fit::SpectrumOptions so;
  so.statistic = fit::parse_statistic(opt.str("stat"));
  so.e_min_kev = opt.num("emin");
  so.e_max_kev = opt.num("emax");
  const fit::GroupingChoice grouping = fit::parse_grouping(opt.str("group"));
  fit::FitOptions fo;
  fo.restarts = static_cast<int>(restarts);
  fo.seed = static_cast<std::uint64_t>(seed);
  if (opt.str("errors") != "none") fo.interval_params = split_commas(opt.str("errors"));

  if (opt.flag("type2")) {
    SPECNET_CHECK(opt.str("background").empty(), "--background is not supported with --type2 (fit with cstat)");
    SPECNET_CHECK(opt.str("json").empty(), "--json is for a Type I fit; --type2 writes its results to --out (CSV)");
    const io::SpectrumSet set = io::read_pha2(opt.str("data"));
    fit::apply_grouping(grouping, {}, so);  // a Type II file's rows carry no GROUPING here: file means channels
    fit::BatchOptions bo;
    bo.progress = !opt.flag("quiet");
    const auto results = fit::fit_dataset(set, model, matrix, so, fo, bo);
    fit::write_fit_csv(opt.str("out"), set, 0, results);
    std::size_t converged = 0;
    for (const auto& r : results) converged += r.converged;
    std::printf("fitted %zu spectra (%zu converged) -> %s\n", results.size(), converged, opt.str("out").c_str());
    return 0;
  }

  const io::Spectrum src = io::read_pha(opt.str("data"));
  const double ts = src.exposure_s * src.areascal;
  std::vector<double> counts = src.counts;
  if (src.header.is_rate)
    for (double& c : counts) c *= src.exposure_s;
  so.quality = src.quality;
  if (!src.stat_err.empty()) {
    so.stat_err = src.stat_err;
    if (src.header.is_rate)
      for (double& e : so.stat_err) e *= src.exposure_s;
  }
  if (!opt.str("background").empty()) {
    const io::Spectrum bkg = io::read_pha(opt.str("background"));
    SPECNET_CHECK(bkg.counts.size() == counts.size(), "background has ", bkg.counts.size(), " channels, the source ",
                  counts.size());
    so.background_counts = bkg.counts;
    if (bkg.header.is_rate)
      for (double& c : so.background_counts) c *= bkg.exposure_s;
    so.background_exposure_s = bkg.exposure_s * bkg.areascal * bkg.backscal / src.backscal;
  }
  fit::apply_grouping(grouping, src.grouping, so);
  fit::FitProblem problem(model, matrix, counts, ts, so);
  const fit::FitResult r = fit::fit_model(problem, fo);
  std::printf("model %s, %lld bins in %g-%g keV (grouping %s)\n%s", model.expression().c_str(),
              static_cast<long long>(problem.num_bins()), so.e_min_kev, so.e_max_kev,
              fit::grouping_name(grouping).c_str(),
              fit::format_fit(r, so.statistic).c_str());
  if (mcmc_steps > 0) {
    SPECNET_CHECK(mcmc_steps >= 20, "--mcmc needs at least 20 steps (a quarter is burn-in)");
    fit::McmcOptions mo;
    mo.walkers = static_cast<int>(walkers);
    mo.steps = static_cast<int>(mcmc_steps);
    mo.burn_in = static_cast<int>(mcmc_steps / 4);
    mo.seed = static_cast<std::uint64_t>(seed);
    const fit::McmcResult m = fit::sample_posterior(problem, r, mo);
    std::printf("\nMCMC: %d walkers x %lld steps (burn-in %d), acceptance %.2f\n", mo.walkers, mcmc_steps, mo.burn_in,
                m.acceptance);
    std::printf("%-28s %14s %14s %14s %14s %10s\n", "parameter", "mean", "sd", "5%", "95%", "tau");
    for (int d = 0; d < m.dim; ++d) {
      double lo = 0, hi = 0;
      fit::credible_interval(m, d, 0.05, &lo, &hi);
      std::printf("%-28s %14.6g %14.6g %14.6g %14.6g %10.1f\n", r.names[d].c_str(), m.mean[d],
                  std::sqrt(m.covariance[d * m.dim + d]), lo, hi, m.tau[d]);
    }
  }
  if (!opt.str("json").empty())
    write_fit_json(opt.str("json"), model.expression(), r, so.statistic, problem.num_bins(), so.e_min_kev,
                   so.e_max_kev);
  return r.converged ? 0 : 2;
}

RegisterCommand reg{{"fit", "fit a model to a PHA spectrum (XSPEC-like table) or a Type II dataset (CSV)", run_fit}};

}  // namespace
}  // namespace specnet::cli
