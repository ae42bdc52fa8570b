// `specnet bhb calibrate`: fits the flow's base distribution (scale, and degrees of freedom for a Student-t base) on a
// labelled calibration set, reports the coverage and NLL before and after, and writes the calibrated checkpoint.
#include <cstdio>
#include <iomanip>
#include <sstream>

#include "bhb_cli.h"
#include "specnet/bhb/calibrate.h"
#include "specnet/bhb/residual.h"
#include "specnet/bhb/svg.h"
#include "specnet/bhb/train.h"
#include "specnet/ic/io_util.h"

namespace specnet::cli {

using namespace specnet::bhb;

int run_bhb_calibrate(const Args& args) {
  Options opt(args, {{"model", "|trained checkpoint (required)"},
                     {"residual", "|residual stages trained on --model (bhb train --residual-of; comma-separated, in chain "
                                  "order): calibrate the last one's base instead (--out then writes its checkpoint)"},
                     {"data", "|labelled calibration set (required): not the training set, and not the set the "
                              "calibrated network will be judged on"},
                     {"count", "2160|spectra (the first N of the set)"},
                     {"base", "t|base family: t (Student t: scale and degrees of freedom) or normal (scale only)"},
                     {"objective", "nll|nll (maximum likelihood of the truths) or coverage (degrees of freedom by "
                                   "likelihood, then the scale whose HPD coverage lies closest to the diagonal)"},
                     {"samples", "256|draws per spectrum for the coverage curves"},
                     {"min-scale", "0.25|smallest base scale of the coverage scan"},
                     {"max-scale", "4|largest base scale of the coverage scan"},
                     {"seed", "0|random seed of the draws (common to every scale tried)"},
                     {"out", "|write the calibrated checkpoint here (weights unchanged, the base scale and degrees of freedom in its metadata)"},
                     {"out-dir", "|also write calibration.md and calibration.svg here (must exist)"},
                     {"precision", "auto|sampler GEMMs: auto (bf16 on AMX, else f32), f32 or bf16"},
                     {"threads", "0|threads (0: SPECNET_NUM_THREADS or all cores)"}});
  if (opt.help()) {
    std::printf("specnet bhb calibrate: the flow's base distribution (a temperature, and tails) fitted on held-out "
                "labelled spectra\n%s",
                opt.usage().c_str());
    return 0;
  }
  set_threads(opt);
  SPECNET_CHECK(!opt.str("model").empty() && !opt.str("data").empty(), "--model and --data are required\n", opt.usage());
  LoadedNetwork l = load_network(opt.str("model"));
  Dataset d = read_dataset(opt.str("data"));
  const long long count = std::min<long long>(opt.integer("count"), d.size());
  SPECNET_CHECK(count > 1, "--count must be > 1");
  d = d.slice(0, count);
  CalibrationOptions co;
  co.family = parse_base_family(opt.str("base"));
  co.objective = parse_calibration_objective(opt.str("objective"));
  co.samples = opt.integer("samples");
  co.seed = static_cast<std::uint64_t>(opt.integer("seed"));
  co.min_scale = opt.num("min-scale");
  co.max_scale = opt.num("max-scale");
  co.precision = FastFlowSampler::parse_precision(opt.str("precision"));
  const auto t0 = std::chrono::steady_clock::now();
  const std::string residual = opt.str("residual");
  BaseScaleFit r;
  double nll_shift = 0;  // the residual stage's NLL in u to the first network's scaled space: + mean log det R
  std::string calibrated = opt.str("model");  // the checkpoint whose base is fitted
  if (residual.empty()) {
    r = fit_base_scale(*l.net, l.scaling, d, co);
  } else {
    const ResidualStages stages = load_residual_stages(residual, *l.net, d.header);
    const Simulation sim = make_simulation(d.header.kind, d.header.seed);
    const Chain chain = stages.chain(*l.net);
    const ResidualInputs in = residual_inputs(Chain(chain.begin(), chain.end() - 1), l.scaling, sim, d);
    Network& last = stages.last();
    calibrated = stages.paths.back();
    const std::vector<float> context = encode_all(last, in.maker(), in.channels(), count, d.header.bins);
    r = fit_base_scale(last, context, truth_noise(last, in.targets(), context), co);
    for (long long i = 0; i < count; ++i) nll_shift += in.estimate().log_det(i) / double(count);
  }
  const double secs = seconds_since(t0);

  std::ostringstream md;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "# BHB flow calibration\n\nmodel `%s` (stage %d, epoch %lld), calibration set `%s` (%lld spectra), "
                "base %s, objective %s, %lld draws per spectrum, %.1f s\n\n",
                opt.str("model").c_str(), l.stage, (long long)l.epoch, opt.str("data").c_str(), count,
                base_family_name(r.family), calibration_objective_name(r.objective), (long long)co.samples, secs);
  md << buf;
  if (!residual.empty()) {
    std::snprintf(buf, sizeof buf, "residual stages `%s` (the last calibrated): -log q in the first network's scaled space (the whitened u's "
                  "plus %.4f, the mean log det R)\n\n", residual.c_str(), nll_shift);
    md << buf;
  }
  md << "| | base scale | degrees of freedom | mean -log q(truth \\| x) | largest \\|coverage - level\\| |\n"
        "|---|---|---|---|---|\n";
  auto df_text = [](double df) { return df == 0 ? std::string("normal") : str(std::setprecision(4), df); };
  std::snprintf(buf, sizeof buf, "| before | %.4f | %s | %.4f | %.3f |\n| **after** | **%.4f** | **%s** | %.4f | **%.3f** |\n\n",
                r.before.scale, df_text(r.before.df).c_str(), r.nll_before + nll_shift, r.deviation_before, r.after.scale,
                df_text(r.after.df).c_str(), r.nll + nll_shift, r.deviation);
  md << buf;
  md << "| credible level | coverage before | coverage after |\n|---|---|---|\n";
  for (std::size_t k = 0; k < r.levels.size(); ++k) {
    std::snprintf(buf, sizeof buf, "| %.2f | %.3f | %.3f |\n", r.levels[k], r.coverage_before[k], r.coverage[k]);
    md << buf;
  }
  if (!r.scan.empty()) {
    md << "\nscan (base scale: largest deviation):";
    for (const auto& [s, dev] : r.scan) {
      std::snprintf(buf, sizeof buf, " %.3f: %.3f;", s, dev);
      md << buf;
    }
    md << "\n";
  }
  const std::string out = opt.str("out");
  if (!out.empty()) {
    std::snprintf(buf, sizeof buf, "bhb calibrate --base %s --objective %s on %s (%lld spectra): scale %.6g, df %.6g "
                  "(was %.6g, %.6g)", base_family_name(r.family), calibration_objective_name(r.objective),
                  opt.str("data").c_str(), count, r.after.scale, r.after.df, r.before.scale, r.before.df);
    write_calibrated_checkpoint(calibrated, out, r.after, buf);
    md << "\ncalibrated checkpoint: " << out << "\n";
  }
  const std::string dir = opt.str("out-dir");
  if (!dir.empty()) {
    SvgPlot svg(360, 340);
    const int i = svg.panel(60, 30, 270, 260, 0, 1, 0, 1, "credible level", "coverage", "HPD coverage");
    svg.line(i, {0, 1}, {0, 1}, "black", 1, true);
    coverage_line(svg, i, r.levels, r.coverage_before, "#ff7f0e");
    coverage_line(svg, i, r.levels, r.coverage, "#1f77b4");
    std::snprintf(buf, sizeof buf, "orange: before, blue: after (%s)", base_family_name(r.family));
    svg.text(65, 48, buf, 11);
    svg.save(dir + "/calibration.svg");
    ic::write_text_file(dir + "/calibration.md", md.str() + "\nplot: calibration.svg\n");
  }
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace specnet::cli
