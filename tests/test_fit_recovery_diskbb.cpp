// Parameter recovery of tbabs*diskbb on the built-in NICER response (0.5-10 keV, 1 ks): 90% profile-interval
// coverage of nH, Tin and norm within binomial tolerance of 0.90, and C/dof ~ 1.
#include <doctest/doctest.h>

#include <memory>

#include "fit_recovery_util.h"

using namespace specnet;
using namespace specnet::fit;

TEST_CASE("fit recovery: NICER tbabs*diskbb 90% intervals cover the truth; C/dof ~ 1") {
  const auto setup = sim::make_fakeit_setup(sim::builtin_response("nicer"), 1e3);
  sim::CompositeModel truth("tbabs*diskbb");
  truth.set("tbabs_1.nH", 0.4);
  truth.set("diskbb_2.Tin", 1.2);
  truth.set("diskbb_2.norm", 20.0);
  sim::CompositeModel start = truth;
  start.set("tbabs_1.nH", 1.0);
  start.set("diskbb_2.Tin", 0.6);
  start.set("diskbb_2.norm", 100.0);
  test::RecoveryCase rc(start);
  rc.setup = &setup;
  rc.matrix = std::make_shared<const io::SparseResponse>(setup.matrix);
  rc.spectrum.e_min_kev = 0.5;
  rc.spectrum.e_max_kev = 10;
  rc.spectrum.min_counts = 20;
  rc.truth = [&](std::int64_t) { return truth; };
  rc.names = {"tbabs_1.nH", "diskbb_2.Tin", "diskbb_2.norm"};
  rc.n = 100;
  rc.seed = 2718;
  test::check_coverage(test::run_recovery(rc), rc.names);
}
