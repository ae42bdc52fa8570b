// 2T vs 1T+IC model comparison as in the IC paper: both models fitted to one spectrum with the same statistic;
// the preferred model is the one whose reduced statistic (C/dof) lies closer to 1, and delta C is reported.
#include "specnet/fit/model_compare.h"

#include <cmath>
#include <limits>

#include "specnet/error.h"

namespace specnet::fit {
namespace {

void common(sim::CompositeModel& m, const ClusterSetup& s, double norm) {
  m.set("tbabs_1.nH", s.nh_1e22);
  m.freeze("tbabs_1.nH");
  m.set("apec_2.kT", s.kt_hot_kev);
  m.set("apec_2.Abundanc", s.abundance);
  m.freeze("apec_2.Abundanc", !s.fit_abundance);
  m.set("apec_2.Redshift", s.redshift);
  m.freeze("apec_2.Redshift", !s.fit_redshift);
  m.set("apec_2.norm", norm);
}

// Starting apec norm: the background-subtracted counts in the fitted bins over the counts a unit-norm model of the
// start predicts (unit: the 1T+IC model at norm 1).
double starting_norm(FitProblem& unit) {
  std::vector<double> y(unit.num_bins()), y0(unit.num_bins());
  unit.model_rate(unit.free_values(), y.data());
  unit.model().set("apec_2.norm", 0.0);
  unit.model().set("powerlaw_3.norm", 0.0);
  unit.model_rate(unit.free_values(), y0.data());  // background alone
  double model = 0, data = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    model += (y[i] - y0[i]) * unit.data().exposure_s;
    data += unit.data().counts[i] - y0[i] * unit.data().exposure_s;
  }
  SPECNET_CHECK(model > 0 && std::isfinite(model), "compare_2t_vs_ic: the starting model predicts no counts");
  return std::max(data / model, 1e-12);
}

// Fits `model` to the counts; with setup.fit_redshift, starts from the best point of a frozen-z scan (steppar).
FitResult fit_with_redshift(const sim::CompositeModel& model, const ClusterSetup& s,
                            const std::shared_ptr<const io::SparseResponse>& matrix, const std::vector<double>& counts,
                            double exposure_s, const SpectrumOptions& spectrum, const FitOptions& options) {
  sim::CompositeModel start = model;
  if (s.fit_redshift && s.redshift_scan_steps > 1) {
    FitOptions scan = options;
    scan.errors = false;
    scan.interval_params.clear();
    double best = std::numeric_limits<double>::infinity();
    for (int k = 0; k < s.redshift_scan_steps; ++k) {
      const double z = s.redshift - s.redshift_scan_halfwidth +
                       2 * s.redshift_scan_halfwidth * k / (s.redshift_scan_steps - 1);
      if (z <= -0.999) continue;
      sim::CompositeModel m = model;
      m.set("apec_2.Redshift", z);
      m.freeze("apec_2.Redshift");
      FitProblem p(m, matrix, counts, exposure_s, spectrum);
      const FitResult r = fit_model(p, scan);
      if (r.statistic < best) {
        best = r.statistic;
        start = p.model();
        start.thaw("apec_2.Redshift");
      }
    }
  }
  FitProblem p(start, matrix, counts, exposure_s, spectrum);
  return fit_model(p, options);
}

}  // namespace

void add_nustar_background(SpectrumOptions& spectrum, const sim::NustarBackground& b, double tolerance) {
  SPECNET_CHECK(tolerance >= 0 && tolerance <= 1, "add_nustar_background: tolerance must be in [0, 1], got ",
                tolerance);
  spectrum.background_components = {b.aperture, b.fcxb, b.internal, b.continuum};
  spectrum.background_component_names = {"aperture", "fcxb", "internal", "continuum"};
  spectrum.background_scale_min = 1 - tolerance;
  spectrum.background_scale_max = 1 + tolerance;
}

std::vector<double> background_scales(const FitResult& r) {
  std::vector<double> out;
  for (std::size_t j = 0; j < r.names.size(); ++j)
    if (r.names[j].rfind("bkgscale_", 0) == 0) out.push_back(r.values[j]);
  return out;
}

sim::CompositeModel two_temperature_model(const ClusterSetup& s, double norm) {
  sim::CompositeModel m("tbabs*(apec+apec)");
  common(m, s, norm);
  m.link("apec_3.Abundanc", "apec_2.Abundanc");
  m.link("apec_3.Redshift", "apec_2.Redshift");
  m.set("apec_3.kT", s.kt_cool_kev);
  m.set("apec_3.norm", norm);
  return m;
}

sim::CompositeModel thermal_plus_ic_model(const ClusterSetup& s, double norm) {
  sim::CompositeModel m("tbabs*(apec+powerlaw)");
  common(m, s, norm);
  m.set("powerlaw_3.PhoIndex", s.photon_index);
  m.freeze("powerlaw_3.PhoIndex");
  m.set("powerlaw_3.norm", 1e-3 * norm);  // a weak IC component to start from
  return m;
}

ModelComparison compare_2t_vs_ic(std::shared_ptr<const io::SparseResponse> matrix, const std::vector<double>& counts,
                                 double exposure_s, const SpectrumOptions& spectrum, const ClusterSetup& setup,
                                 const FitOptions& options) {
  SPECNET_CHECK(setup.kt_cool_kev > 0 && setup.kt_hot_kev > 0, "compare_2t_vs_ic: starting temperatures must be > 0");
  SPECNET_CHECK(!setup.fit_redshift || (setup.redshift_scan_steps >= 1 && std::isfinite(setup.redshift_scan_halfwidth) &&
                                        setup.redshift_scan_halfwidth >= 0),
                "compare_2t_vs_ic: redshift scan needs steps >= 1 and a finite half-width >= 0, got ",
                setup.redshift_scan_steps, " and ", setup.redshift_scan_halfwidth);
  // Unit-norm 1T model to scale the starting norms to the data (each apec of the 2T model takes half).
  FitProblem unit(thermal_plus_ic_model(setup, 1.0), matrix, counts, exposure_s, spectrum);
  const double norm = starting_norm(unit);
  ModelComparison out;
  out.two_temperature =
      fit_with_redshift(two_temperature_model(setup, 0.5 * norm), setup, matrix, counts, exposure_s, spectrum, options);
  out.thermal_plus_ic =
      fit_with_redshift(thermal_plus_ic_model(setup, norm), setup, matrix, counts, exposure_s, spectrum, options);
  out.delta_c = out.thermal_plus_ic.statistic - out.two_temperature.statistic;
  out.prefers_ic = std::fabs(out.thermal_plus_ic.reduced - 1) < std::fabs(out.two_temperature.reduced - 1);
  return out;
}

}  // namespace specnet::fit
