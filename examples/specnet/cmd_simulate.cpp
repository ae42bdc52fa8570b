// `specnet simulate`: XSPEC-style fakeit from the command line: one spectrum (PHA Type I + background PHA) or a
// dataset of spectra with parameters drawn from priors (PHA Type II with a PARAMS table).
#include <cstdio>

#include "command.h"
#include "model_options.h"
#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/io/pha.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/nustar_background.h"
#include "specnet/sim/resources.h"

namespace specnet::cli {
namespace {

std::string background_path_for(const std::string& out) {
  const auto dot = out.rfind('.');
  const auto slash = out.rfind('/');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  return (has_ext ? out.substr(0, dot) : out) + "_bkg.pha";
}

int run_simulate(const Args& args) {
  Options opt(args, {{"model", "|XSPEC model expression, e.g. tbabs*(bremss+powerlaw) (required)"},
                     {"params", "|fixed parameter values name=value,... (names as specnet model prints them)"},
                     {"priors", "|per-spectrum priors name=lo:hi[:log],... (a dataset when given)"},
                     {"response", "nustar|nustar, nicer, or RMF[,ARF] file paths"},
                     {"exposure", "10000|exposure time (s)"},
                     {"background", "off|on: add the nuskybgd NuSTAR background and write a background PHA"},
                     {"region", "60|source region radius (arcsec) for the background"},
                     {"bkg-area-ratio", "4|background region area / source region area"},
                     {"count", "1|number of spectra (> 1 or --priors: a PHA Type II dataset)"},
                     {"seed", "0|random seed"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"},
                     {"quiet", "0|no progress lines"},
                     {"memory-budget-mb", "0|memory budget of a dataset run, MiB (0: SPECNET_MEMORY_BUDGET_MB or 512)"},
                     {"out", "sim.pha|output PHA file"}});
  if (opt.help()) {
    std::printf("specnet simulate: fake spectra through a response\n%s", opt.usage().c_str());
    return 0;
  }
  const std::string background = opt.str("background");
  SPECNET_CHECK(background == "on" || background == "off", "--background must be on or off, got '", background, "'");
  const long long count = opt.integer("count"), seed = opt.integer("seed"), threads = opt.integer("threads");
  const long long budget_mb = opt.integer("memory-budget-mb");
  SPECNET_CHECK(budget_mb >= 0, "--memory-budget-mb must be >= 0, got ", budget_mb);
  SPECNET_CHECK(count >= 1, "--count must be >= 1, got ", count);
  SPECNET_CHECK(seed >= 0, "--seed must be >= 0, got ", seed);
  SPECNET_CHECK(threads >= 0, "--threads must be >= 0, got ", threads);
  if (threads > 0) set_num_threads(static_cast<int>(threads));

  sim::CompositeModel model = model_from_options(opt);
  const auto priors = sim::parse_priors(opt.str("priors"));
  sim::InstrumentResponse response = sim::load_response(opt.str("response"));

  std::vector<double> bkg_rate;
  double backscal = 1, bkg_backscal = 1;
  if (background == "on") {
    SPECNET_CHECK(response.name == "nustar" || response.rmf.telescop == "NuSTAR",
                  "--background on needs a NuSTAR response (the built-in background is nuskybgd's NuSTAR model)");
    const double ratio = opt.num("bkg-area-ratio");
    SPECNET_CHECK(ratio > 0, "--bkg-area-ratio must be > 0, got ", ratio);
    sim::NustarRegion src, bkg;
    src.area_arcmin2 = sim::circle_area_arcmin2(opt.num("region"));
    bkg.area_arcmin2 = src.area_arcmin2 * ratio;
    bkg_rate = sim::nustar_background(response, bkg).total;
    backscal = sim::nustar_backscal(src.area_arcmin2);
    bkg_backscal = sim::nustar_backscal(bkg.area_arcmin2);
  }
  const sim::FakeitSetup setup =
      sim::make_fakeit_setup(std::move(response), opt.num("exposure"), bkg_rate, backscal, bkg_backscal);
  const std::string out = opt.str("out");
  const std::string bkg_out = bkg_rate.empty() ? "" : background_path_for(out);

  if (count == 1 && priors.empty()) {
    const auto photons = model.evaluate(setup.response.energy_edges_kev());
    const auto counts = sim::fake_counts(setup, photons.data(), static_cast<std::uint64_t>(seed), 0);
    io::write_pha(out, sim::make_source_pha(setup, counts, bkg_out));
    double total = 0;
    for (double c : counts) total += c;
    std::printf("wrote %s: %.0f counts in %zu channels, exposure %g s\n", out.c_str(), total, counts.size(),
                setup.exposure_s);
    if (!bkg_out.empty()) {
      io::write_pha(bkg_out, sim::make_background_pha(setup, sim::fake_background_counts(setup, seed)));
      std::printf("wrote %s (background)\n", bkg_out.c_str());
    }
    std::printf("peak memory (RSS): %.1f MiB\n", sim::peak_rss_mb());
    return 0;
  }
  sim::DatasetOptions d;
  d.count = count;
  d.seed = static_cast<std::uint64_t>(seed);
  d.progress = !opt.flag("quiet");
  d.memory_budget_mb = budget_mb;
  sim::simulate_dataset(setup, model, priors, d, out, bkg_out);
  std::printf("wrote %s: %lld spectra (PHA Type II + PARAMS)%s%s\n", out.c_str(), count,
              bkg_out.empty() ? "" : ", background ", bkg_out.c_str());
  std::printf("peak memory (RSS): %.1f MiB\n", sim::peak_rss_mb());
  return 0;
}

RegisterCommand reg{{"simulate", "fake spectra (fakeit) through nustar/nicer/RMF responses, one or a dataset",
                     run_simulate}};

}  // namespace
}  // namespace specnet::cli
