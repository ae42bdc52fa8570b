// Determinism of the IC model comparison: compare_2t_vs_ic on the same spectra must give bitwise identical
// delta C and parameters whatever the order of the spectra, the fits run in between and the thread count.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "fit_test_util.h"
#include "specnet/context.h"
#include "specnet/fit/fitter.h"
#include "specnet/fit/model_compare.h"
#include "specnet/sim/nustar_background.h"

using namespace specnet;
using namespace specnet::fit;

namespace {

// The IC dataset recipe: NuSTAR 3-80 keV grouped to >= 100 counts, nuskybgd components free within +-10%.
struct IcRecipe {
  sim::NustarBackground background = sim::nustar_background(test::builtin_nustar(), sim::NustarRegion{});
  sim::FakeitSetup setup = sim::make_fakeit_setup(test::builtin_nustar(), 1e6, background.total);
  SpectrumOptions spectrum;
  IcRecipe() {
    spectrum.e_min_kev = 3;
    spectrum.e_max_kev = 80;
    spectrum.min_counts = 100;
    add_nustar_background(spectrum, background, 0.1);
  }
};

struct Case {
  std::vector<double> counts;  // (H)
  ClusterSetup setup;
};

// Two 1T+IC and two 2T spectra (one of each fitted with z free after a short scan), as the pipeline draws them.
std::vector<Case> make_cases(const IcRecipe& r) {
  std::vector<Case> cases;
  ClusterSetup base;
  base.nh_1e22 = 0.00858;
  const double kt[4] = {6.5, 3.0, 8.0, 4.5}, norm[4] = {0.05, 0.02, 0.04, 0.03}, z[4] = {0.03, 0.08, 0.05, 0.02};
  for (int k = 0; k < 4; ++k) {
    const bool two_t = k % 2 == 1;
    ClusterSetup s = base;
    s.redshift = z[k];
    sim::CompositeModel truth = two_t ? two_temperature_model(s, norm[k]) : thermal_plus_ic_model(s, norm[k]);
    truth.set("apec_2.kT", kt[k]);
    truth.set("apec_2.Abundanc", 0.4);
    if (two_t) {
      truth.set("apec_3.kT", 1.5);
    } else {
      truth.set("powerlaw_3.norm", 1e-3);
    }
    if (k >= 2) {  // z free: started mid-range with a frozen-z scan
      s.fit_redshift = true;
      s.redshift = 0.055;
      s.redshift_scan_halfwidth = 0.045;
      s.redshift_scan_steps = 3;
    }
    cases.push_back({test::fake_spectrum(r.setup, truth, 77, static_cast<std::uint64_t>(k)), s});
  }
  return cases;
}

// Everything a comparison reports as numbers: delta C, both statistics and both sets of parameter values.
std::vector<double> numbers(const ModelComparison& c) {
  std::vector<double> v = {c.delta_c, c.two_temperature.statistic, c.thermal_plus_ic.statistic};
  v.insert(v.end(), c.two_temperature.values.begin(), c.two_temperature.values.end());
  v.insert(v.end(), c.thermal_plus_ic.values.begin(), c.thermal_plus_ic.values.end());
  return v;
}

// An unrelated fit on another energy grid and model (fills caches and the allocator with other data).
void other_fit(const IcRecipe& r, const Case& c) {
  SpectrumOptions so;
  so.e_min_kev = 5;
  so.e_max_kev = 40;
  so.min_counts = 20;
  FitProblem p(test::absorbed_powerlaw(0.5, 1.8, 1e-2), test::nustar_matrix(), c.counts, 1e6, so);
  FitOptions fo;
  fo.errors = false;
  fit_model(p, fo);
}

std::vector<std::vector<double>> run_in_order(const IcRecipe& r, const std::vector<Case>& cases,
                                              const std::vector<int>& order, bool interleave) {
  std::vector<std::vector<double>> out(cases.size());
  FitOptions fo;
  fo.errors = false;
  for (int i : order) {
    if (interleave) other_fit(r, cases[i]);
    out[i] = numbers(compare_2t_vs_ic(test::nustar_matrix(), cases[i].counts, 1e6, r.spectrum, cases[i].setup, fo));
  }
  return out;
}

// The cases compared in parallel, one per chunk, with `threads` threads (as the IC pipeline does).
std::vector<std::vector<double>> run_parallel(const IcRecipe& r, const std::vector<Case>& cases, int threads) {
  std::vector<std::vector<double>> out(cases.size());
  set_num_threads(threads);
  FitOptions fo;
  fo.errors = false;
  parallel_for(static_cast<std::int64_t>(cases.size()), 1, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t i = b0; i < b1; ++i)
      out[i] = numbers(compare_2t_vs_ic(test::nustar_matrix(), cases[i].counts, 1e6, r.spectrum, cases[i].setup, fo));
  });
  set_num_threads(0);
  return out;
}

// Bitwise comparison, reporting the first differing number of each case.
void require_identical(const std::vector<std::vector<double>>& a, const std::vector<std::vector<double>>& b,
                       const char* what) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].size() == b[i].size());
    for (std::size_t j = 0; j < a[i].size(); ++j) {
      if (std::memcmp(&a[i][j], &b[i][j], sizeof(double)) == 0) continue;
      std::printf("fit determinism (%s): case %zu number %zu: %.17g vs %.17g\n", what, i, j, a[i][j], b[i][j]);
      const std::string message = std::string(what) + ": case " + std::to_string(i) + " differs";
      FAIL_CHECK(message);
      break;
    }
  }
}

}  // namespace

TEST_CASE("fit determinism: compare_2t_vs_ic is bitwise independent of order, other fits and thread count") {
  const IcRecipe recipe;
  const std::vector<Case> cases = make_cases(recipe);
  set_num_threads(1);
  const auto forward = run_in_order(recipe, cases, {0, 1, 2, 3}, false);
  const auto reverse = run_in_order(recipe, cases, {3, 2, 1, 0}, false);
  const auto interleaved = run_in_order(recipe, cases, {2, 0, 3, 1}, true);
  set_num_threads(0);
  for (std::size_t i = 0; i < forward.size(); ++i)
    std::printf("fit determinism: case %zu delta C %.10g\n", i, forward[i][0]);
  require_identical(forward, reverse, "reverse order");
  require_identical(forward, interleaved, "interleaved with other fits");
  require_identical(forward, run_parallel(recipe, cases, 2), "parallel_for, 2 threads");
}
