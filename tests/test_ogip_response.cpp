// Folding through the sparse RMF and the precomputed RMF x ARF x grouping response, checked against dense
// products; min-count grouping checked against grppha's "group min" rules (QUALITY 2 for a short last group).
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "ogip_test_util.h"
#include "specnet/error.h"
#include "specnet/io/grouping.h"
#include "specnet/io/response.h"

using namespace specnet;
using namespace specnet::io;

namespace {

struct Problem {
  Rmf rmf;
  Arf arf;
  std::vector<double> dense;  // (E, H)
};

// A random RMF with ~20% non-zeros (several runs per row) and a positive ARF on the same grid.
Problem random_problem(int n_e, int n_h, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Problem p;
  for (int e = 0; e < n_e; ++e) {
    p.rmf.energy_lo_kev.push_back(1 + 0.1 * e);
    p.rmf.energy_hi_kev.push_back(1 + 0.1 * (e + 1));
  }
  for (int h = 0; h < n_h; ++h) {
    p.rmf.channel_e_min_kev.push_back(1 + 0.15 * h);
    p.rmf.channel_e_max_kev.push_back(1 + 0.15 * (h + 1));
  }
  p.dense.assign(static_cast<std::size_t>(n_e) * n_h, 0.0);
  for (auto& v : p.dense)
    if (u(rng) < 0.2) v = u(rng);
  set_dense_matrix(p.rmf, p.dense);
  p.arf.energy_lo_kev = p.rmf.energy_lo_kev;
  p.arf.energy_hi_kev = p.rmf.energy_hi_kev;
  for (int e = 0; e < n_e; ++e) p.arf.area_cm2.push_back(50 + 10 * std::sin(0.3 * e));
  return p;
}

}  // namespace

TEST_CASE("ogip fold and SparseResponse match the dense RMF x ARF product") {
  const int n_e = 70, n_h = 45;
  const Problem p = random_problem(n_e, n_h, 7);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 2);
  std::vector<double> photons(n_e);  // (E) photons cm^-2 s^-1
  for (auto& x : photons) x = u(rng);

  std::vector<double> expected(n_h, 0.0);  // (H) counts/s
  for (int e = 0; e < n_e; ++e)
    for (int h = 0; h < n_h; ++h) expected[h] += p.dense[e * n_h + h] * p.arf.area_cm2[e] * photons[e];

  std::vector<double> times_arf(n_e);
  for (int e = 0; e < n_e; ++e) times_arf[e] = photons[e] * p.arf.area_cm2[e];
  const auto folded = fold(p.rmf, times_arf);
  const SparseResponse resp = SparseResponse::build(p.rmf, &p.arf);
  CHECK(resp.num_outputs() == static_cast<std::size_t>(n_h));
  CHECK(resp.num_nonzero() == p.rmf.num_nonzero());
  std::vector<double> out;
  resp.fold_into(out, photons);
  for (int h = 0; h < n_h; ++h) {
    CHECK(folded[h] == doctest::Approx(expected[h]).epsilon(1e-12));
    CHECK(out[h] == doctest::Approx(expected[h]).epsilon(1e-12));
  }

  // Backward is the exact adjoint: <M x, y> == <x, M^T y>.
  std::vector<double> y(n_h), grad(n_e, 0.0);
  for (auto& v : y) v = u(rng);
  resp.fold_backward(grad.data(), y.data());
  double lhs = 0, rhs = 0;
  for (int h = 0; h < n_h; ++h) lhs += out[h] * y[h];
  for (int e = 0; e < n_e; ++e) rhs += photons[e] * grad[e];
  CHECK(lhs == doctest::Approx(rhs).epsilon(1e-12));

  // Grouped response == grouped sum of the ungrouped fold; bad groups vanish from the outputs.
  std::vector<double> fake_counts(n_h);
  for (int h = 0; h < n_h; ++h) fake_counts[h] = 10 + (h * 7) % 13;
  const Grouping g = group_min_counts(fake_counts, 40);
  const SparseResponse grouped = SparseResponse::build(p.rmf, &p.arf, &g);
  CHECK(grouped.num_outputs() == g.num_groups);
  std::vector<double> grouped_out;
  grouped.fold_into(grouped_out, photons);
  const auto reference = group_sum(g, out);
  for (std::size_t o = 0; o < g.num_groups; ++o) CHECK(grouped_out[o] == doctest::Approx(reference[o]).epsilon(1e-12));
  CHECK(grouped.output_e_min_kev[0] == p.rmf.channel_e_min_kev[0]);

  // Shapes are checked.
  CHECK_THROWS_AS(fold(p.rmf, std::vector<double>(n_e + 1)), Error);
  CHECK_THROWS_AS(resp.fold_into(out, std::vector<double>(3)), Error);
  Grouping wrong = group_min_counts(std::vector<double>(n_h + 2, 50.0), 40);
  CHECK_THROWS_WITH_AS(SparseResponse::build(p.rmf, &p.arf, &wrong), doctest::Contains("channel mismatch"), Error);
}

TEST_CASE("ogip grouping to a minimum number of counts (grppha group min)") {
  const Grouping g = group_min_counts({50, 60, 10, 200, 30, 5}, 100);
  CHECK(g.grouping == std::vector<int>{1, -1, 1, -1, 1, -1});
  CHECK(g.quality == std::vector<int>{0, 0, 0, 0, 2, 2});
  CHECK(g.group_of_channel == std::vector<int>{0, 0, 1, 1, -1, -1});
  CHECK(g.num_groups == 2u);
  CHECK(group_sum(g, {50, 60, 10, 200, 30, 5}) == std::vector<double>{110, 210});

  // A bad input channel stays alone and closes the group being built.
  const Grouping b = group_min_counts({50, 60, 10, 200, 30}, 100, {0, 0, 1, 0, 0});
  CHECK(b.grouping == std::vector<int>{1, -1, 1, 1, 1});
  CHECK(b.quality == std::vector<int>{0, 0, 1, 0, 2});
  CHECK(b.group_of_channel == std::vector<int>{0, 0, -1, 1, -1});

  // Existing GROUPING columns: 0 means the channel stands alone; a leading -1 starts a group.
  const Grouping c = grouping_from_columns({-1, -1, 0, 1, -1, 1}, {0, 0, 0, 0, 0, 5});
  CHECK(c.group_of_channel == std::vector<int>{0, 0, 1, 2, 2, -1});
  CHECK(c.num_groups == 3u);

  CHECK_THROWS_AS(group_min_counts({1, 2}, 0), Error);
  CHECK_THROWS_AS(group_min_counts({1, NAN}, 10), Error);
  CHECK_THROWS_AS(group_min_counts({1, -1}, 10), Error);
  CHECK_THROWS_AS(grouping_from_columns({1, 2}), Error);

  // The grouping written into a PHA is valid OGIP and reads back.
  Spectrum s;
  s.header.detchans = 6;
  s.header.first_channel = 0;
  s.exposure_s = 100;
  s.channel = {0, 1, 2, 3, 4, 5};
  s.counts = {50, 60, 10, 200, 30, 5};
  s.grouping = g.grouping;
  s.quality = g.quality;
  const auto path = test::ogip_temp("grouped.pha");
  write_pha(path, s);
  test::check_fitsverify(path);
  const Spectrum r = read_pha(path);
  const Grouping back = grouping_from_columns(r.grouping, r.quality);
  CHECK(back.group_of_channel == g.group_of_channel);
}
