// ReduceLROnPlateau against torch.optim.lr_scheduler.ReduceLROnPlateau: learning-rate sequences printed by
// torch 1.13 for the same metrics (case A is also traced by hand below), plus state save/restore and errors.
#include "harness.h"
#include "specnet/optim/plateau.h"
#include "scheduler_test_util.h"

using namespace specnet;
using namespace specnet::optim;
using PO = PlateauOptions;

namespace {

using Fixture = test::SchedulerFixture;

// Steps the scheduler through `metrics`, checking every group's lr after each step.
void check_schedule(const PO& o, const std::vector<double>& metrics, const std::vector<std::vector<double>>& lrs,
                    const std::vector<double>& start = {1.0}) {
  Fixture f(start);
  ReduceLROnPlateau s(*f.opt, o);
  for (std::size_t e = 0; e < metrics.size(); ++e) {
    s.step(metrics[e]);
    for (std::size_t g = 0; g < start.size(); ++g)
      CHECK_MESSAGE(f.opt->group(g).lr == doctest::Approx(lrs[e][g]).epsilon(1e-12), "epoch ", e + 1, " group ", g);
  }
}

}  // namespace

TEST_CASE("optim plateau min/rel with patience") {
  // best 10; 9.5 and 9.0 are not below 10 * 0.9 (bad 1, 2); 8.0 is (best 8); then 8, 8, 8 are bad 1, 2, 3 > 2:
  // halve at epoch 7; three more bad epochs halve again at epoch 10.
  PO o;
  o.factor = 0.5, o.patience = 2, o.threshold = 0.1;
  check_schedule(o, {10, 9.5, 9.0, 8.0, 8, 8, 8, 8, 8, 8, 8},
                 {{1}, {1}, {1}, {1}, {1}, {1}, {0.5}, {0.5}, {0.5}, {0.25}, {0.25}});
}

TEST_CASE("optim plateau max/abs") {
  PO o;
  o.mode = PO::Mode::max, o.factor = 0.1, o.patience = 1, o.threshold = 0.5, o.threshold_mode = PO::ThresholdMode::abs;
  check_schedule(o, {1, 1.4, 1.6, 2.2, 2.3, 2.4, 3.0, 3.1}, {{1}, {1}, {1}, {1}, {1}, {0.1}, {0.1}, {0.1}});
}

TEST_CASE("optim plateau cooldown ignores bad epochs") {
  PO o;
  o.factor = 0.5, o.patience = 0, o.threshold = 0, o.threshold_mode = PO::ThresholdMode::abs, o.cooldown = 2;
  check_schedule(o, {5, 5, 5, 5, 5, 5, 5, 5}, {{1}, {0.5}, {0.5}, {0.5}, {0.25}, {0.25}, {0.25}, {0.125}});
}

TEST_CASE("optim plateau per-group min_lr and eps") {
  PO o;
  o.factor = 0.1, o.patience = 0, o.min_lr = {0.1, 0.0, 0.0};
  // group 2 starts at 1e-8: a reduction to 1e-9 is smaller than eps and is skipped, as torch does
  check_schedule(o, {1, 1, 1, 1, 1},
                 {{1, 1, 1e-8}, {0.1, 0.1, 1e-8}, {0.1, 0.01, 1e-8}, {0.1, 0.001, 1e-8}, {0.1, 1e-4, 1e-8}},
                 {1.0, 1.0, 1e-8});
}

TEST_CASE("optim plateau relative threshold with negative metrics follows torch") {
  // torch compares a < best * (1 - threshold) even for negative best, so -1.05 beats -1.0 and -0.9 is bad once.
  PO o;
  o.factor = 0.5, o.patience = 1, o.threshold = 0.1;
  check_schedule(o, {-1.0, -1.05, -0.9, -2.0, -2.1, -2.1}, {{1}, {1}, {1}, {1}, {1}, {1}});
}

TEST_CASE("optim plateau skips frozen groups") {
  Fixture f({1.0, 1.0});
  f.opt->group(1).frozen = true;
  PO o;
  o.patience = 0;
  ReduceLROnPlateau s(*f.opt, o);
  s.step(1.0);
  s.step(1.0);
  CHECK(f.opt->group(0).lr == doctest::Approx(0.1));
  CHECK(f.opt->group(1).lr == 1.0);
}

TEST_CASE("optim plateau state save and restore continue identically") {
  PO o;
  o.factor = 0.5, o.patience = 1, o.cooldown = 1;
  const std::vector<double> metrics{3, 2, 2.5, 2.4, 2.2, 2.3, 2.3, 1.0, 1.1, 1.2, 1.3};
  Fixture a({1.0}), b({1.0});
  ReduceLROnPlateau sa(*a.opt, o), sb(*b.opt, o);
  for (std::size_t e = 0; e < 5; ++e) sa.step(metrics[e]);
  sb.load_state_dict(sa.state_dict());
  b.opt->group(0).lr = a.opt->group(0).lr;
  CHECK(sb.best() == sa.best());
  CHECK(sb.last_epoch() == 5);
  for (std::size_t e = 5; e < metrics.size(); ++e) {
    sa.step(metrics[e]);
    sb.step(metrics[e]);
    CHECK(a.opt->group(0).lr == b.opt->group(0).lr);
    CHECK(sa.num_bad_epochs() == sb.num_bad_epochs());
    CHECK(sa.cooldown_counter() == sb.cooldown_counter());
  }
  CHECK(a.opt->group(0).lr < 1.0);
  // a fresh scheduler's best is +inf and survives the round trip
  Fixture c({1.0});
  ReduceLROnPlateau sc(*c.opt, o);
  sb.load_state_dict(sc.state_dict());
  CHECK(sb.best() == std::numeric_limits<double>::infinity());
}

TEST_CASE("optim plateau rejects bad options, metrics and state") {
  Fixture f({1.0, 1.0});
  PO o;
  o.factor = 1.0;
  CHECK_THROWS_WITH(ReduceLROnPlateau(*f.opt, o), doctest::Contains("factor must be in [0, 1)"));
  PO m;
  m.min_lr = {0.1, 0.1, 0.1};
  CHECK_THROWS_WITH(ReduceLROnPlateau(*f.opt, m), doctest::Contains("expected 1 or 2 min_lr values"));
  ReduceLROnPlateau s(*f.opt);
  CHECK_THROWS_WITH(s.step(std::nan("")), doctest::Contains("metric is nan"));
  NamedTensors st = s.state_dict();
  st[1].second = Tensor::scalar(1.5, DType::f64);
  CHECK_THROWS_WITH(s.load_state_dict(st), doctest::Contains("is not a count"));
  st.pop_back();
  st[1].second = Tensor::scalar(1.0, DType::f64);
  CHECK_THROWS_WITH(s.load_state_dict(st), doctest::Contains("missing 'last_epoch'"));
}
