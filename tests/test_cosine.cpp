// CosineAnnealingLR against torch.optim.lr_scheduler.CosineAnnealingLR's recursive update (its get_lr, transcribed
// below), which reaches the same values by another route; plus the hold at eta_min, frozen groups, resume and errors.
#include <cmath>

#include "harness.h"
#include "specnet/optim/cosine.h"
#include "scheduler_test_util.h"

using namespace specnet;
using namespace specnet::optim;

namespace {

using Fixture = test::SchedulerFixture;

// torch 2.x CosineAnnealingLR.get_lr for last_epoch in 1..t_max (no restarts reached), from the previous lr.
double torch_recursive_lr(double prev_lr, double base_lr, double eta_min, std::int64_t e, std::int64_t t_max) {
  const double pi = 3.14159265358979323846;
  if ((e - 1 - t_max) % (2 * t_max) == 0) return prev_lr + (base_lr - eta_min) * (1 - std::cos(pi / t_max)) / 2;
  return (1 + std::cos(pi * e / t_max)) / (1 + std::cos(pi * (e - 1) / t_max)) * (prev_lr - eta_min) + eta_min;
}

}  // namespace

TEST_CASE("CosineAnnealingLR follows torch's recursive cosine to eta_min, then holds") {
  for (std::int64_t t_max : {1, 7, 200}) {
    const std::vector<double> base = {1e-3, 3e-2};
    const double eta_min = 1e-6;
    Fixture f(base);
    CosineAnnealingLR s(*f.opt, t_max, eta_min);
    std::vector<double> torch_lr = base;
    for (std::int64_t e = 1; e <= t_max + 3; ++e) {
      s.step();
      for (std::size_t g = 0; g < base.size(); ++g) {
        if (e <= t_max) torch_lr[g] = torch_recursive_lr(torch_lr[g], base[g], eta_min, e, t_max);
        const double want = e <= t_max ? torch_lr[g] : eta_min;
        CHECK_MESSAGE(std::abs(f.opt->group(g).lr - want) <= 1e-12 * base[g], "t_max ", t_max, " epoch ", e,
                      " group ", g, ": ", f.opt->group(g).lr, " against ", want);
      }
    }
    CHECK(s.last_epoch() == t_max + 3);
  }
  // The midpoint and the end, by hand.
  CHECK(cosine_annealing_lr(1.0, 0.0, 50, 100) == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(cosine_annealing_lr(1.0, 0.2, 100, 100) == 0.2);
  CHECK(cosine_annealing_lr(1.0, 0.2, 0, 100) == 1.0);
}

TEST_CASE("CosineAnnealingLR leaves frozen groups alone and resumes from an epoch") {
  Fixture f({1e-3, 5e-4}, {false, true});
  CosineAnnealingLR s(*f.opt, 10, 0.0);
  for (int e = 0; e < 4; ++e) s.step();
  CHECK(f.opt->group(1).lr == 5e-4);
  const double lr4 = f.opt->group(0).lr;
  CHECK(lr4 == cosine_annealing_lr(1e-3, 0.0, 4, 10));
  // A fresh scheduler on a fresh optimizer, told the epoch, sets the same lr bit for bit and goes on the same.
  Fixture g({1e-3, 5e-4}, {false, true});
  CosineAnnealingLR r(*g.opt, 10, 0.0);
  r.set_last_epoch(4);
  CHECK(g.opt->group(0).lr == lr4);
  s.step();
  r.step();
  CHECK(g.opt->group(0).lr == f.opt->group(0).lr);
}

TEST_CASE("CosineAnnealingLR rejects bad settings") {
  Fixture f({1e-3});
  CHECK_THROWS_WITH_AS(CosineAnnealingLR(*f.opt, 0, 0.0), doctest::Contains("t_max must be >= 1"), Error);
  CHECK_THROWS_WITH_AS(CosineAnnealingLR(*f.opt, 5, -1e-3), doctest::Contains("invalid eta_min"), Error);
  CHECK_THROWS_WITH_AS(CosineAnnealingLR(*f.opt, 5, std::nan("")), doctest::Contains("invalid eta_min"), Error);
  CosineAnnealingLR s(*f.opt, 5);
  CHECK_THROWS_WITH_AS(s.set_last_epoch(-1), doctest::Contains("must be >= 0"), Error);
}
