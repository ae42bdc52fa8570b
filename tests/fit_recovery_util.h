// Shared driver of the parameter-recovery tests: n fakeit spectra (per-spectrum truths allowed), each fitted with
// profile intervals; 90% coverage per parameter checked within 3 binomial standard deviations, C/dof near 1.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "specnet/context.h"
#include "specnet/fit/fitter.h"
#include "specnet/sim/fakeit.h"

namespace specnet::test {

struct RecoveryCase {
  explicit RecoveryCase(sim::CompositeModel start_model) : start(std::move(start_model)) {}
  const sim::FakeitSetup* setup = nullptr;
  std::shared_ptr<const io::SparseResponse> matrix;  // setup->matrix, shared
  fit::SpectrumOptions spectrum;
  fit::FitOptions fit;                                // interval_params are set to `names`
  std::function<sim::CompositeModel(std::int64_t)> truth;  // spectrum i's true model (thread-safe)
  sim::CompositeModel start;                          // every fit starts here
  std::vector<std::string> names;                     // parameters whose 90% coverage is checked
  // Label switching (models with exchangeable components, e.g. 2T): the truth parameter each checked interval is
  // compared with, given the fit (empty: `names` in order); a result not equal to `names` counts as relabelled.
  std::function<std::vector<std::string>(const fit::FitResult&)> truth_names;
  int n = 200;
  std::uint64_t seed = 0;                             // counts of spectrum i from Philox stream (seed, i)
};

struct Coverage {
  std::vector<int> covered;  // (names) spectra whose interval contains the truth
  int fits = 0, converged = 0, relabelled = 0;
  double mean_reduced = 0;
};

inline Coverage run_recovery(const RecoveryCase& rc) {
  const int P = static_cast<int>(rc.names.size()), n = rc.n;
  std::vector<int> inside(static_cast<std::size_t>(n) * P, 0), conv(n, 0), swapped(n, 0);
  std::vector<double> reduced(n, 0.0);
  fit::FitOptions fo = rc.fit;
  fo.interval_params = rc.names;
  parallel_for(n, 4, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      const sim::CompositeModel truth = rc.truth(i);
      const auto photons = truth.evaluate(rc.setup->response.energy_edges_kev());
      const auto counts = sim::fake_counts(*rc.setup, photons.data(), rc.seed, static_cast<std::uint64_t>(i));
      fit::FitProblem problem(rc.start, rc.matrix, counts, rc.setup->exposure_s, rc.spectrum);
      const fit::FitResult r = fit::fit_model(problem, fo);
      conv[i] = r.converged;
      reduced[i] = r.reduced;
      const std::vector<std::string> tn = rc.truth_names ? rc.truth_names(r) : rc.names;
      swapped[i] = tn != rc.names;
      for (int j = 0; j < P; ++j) {
        const double t = truth.get(tn[j]);
        inside[i * P + j] = r.intervals[j].ok && r.intervals[j].lo <= t && t <= r.intervals[j].hi;
      }
    }
  });
  Coverage c;
  c.covered.assign(P, 0);
  c.fits = n;
  for (int i = 0; i < n; ++i) {
    c.converged += conv[i];
    c.relabelled += swapped[i];
    c.mean_reduced += reduced[i] / n;
    for (int j = 0; j < P; ++j) c.covered[j] += inside[i * P + j];
  }
  return c;
}

// 90% coverage within 3 binomial standard deviations, every fit converged, mean C/dof in (0.9, 1.1).
inline void check_coverage(const Coverage& c, const std::vector<std::string>& names) {
  const double sd = std::sqrt(0.9 * 0.1 / c.fits);
  for (std::size_t j = 0; j < names.size(); ++j) {
    const double frac = static_cast<double>(c.covered[j]) / c.fits;
    std::printf("fit recovery: %-22s 90%% coverage %.3f (%d/%d), mean C/dof %.3f, relabelled %d\n", names[j].c_str(),
                frac, c.covered[j], c.fits, c.mean_reduced, c.relabelled);
    CAPTURE(names[j]);
    CHECK(std::fabs(frac - 0.9) < 3 * sd);
  }
  CHECK(c.converged == c.fits);
  CHECK(c.mean_reduced > 0.9);
  CHECK(c.mean_reduced < 1.1);
}

}  // namespace specnet::test
