// Tests for the fitted bins of a FitProblem: the file's OGIP GROUPING column (as XSPEC uses it), regrouping by
// source counts (grppha min) or by background counts (ftgrouppha bmin), the command-line forms, and bad input.
#include <doctest/doctest.h>

#include <cmath>

#include "fit_test_util.h"
#include "specnet/error.h"
#include "specnet/fit/fit_problem.h"

using namespace specnet;
using namespace specnet::fit;

namespace {

SpectrumOptions band(Statistic st) {
  SpectrumOptions o;
  o.statistic = st;
  o.e_min_kev = 3;
  o.e_max_kev = 30;
  return o;
}

// A sparse background spectrum (H): one count in every third channel, two in every seventh.
std::vector<double> sparse_background(std::size_t H) {
  std::vector<double> b(H, 0.0);
  for (std::size_t c = 0; c < H; ++c) b[c] = (c % 3 == 0 ? 1.0 : 0.0) + (c % 7 == 0 ? 2.0 : 0.0);
  return b;
}

// A simulated 20 ks NuSTAR power law (3-30 keV fits) and the response it was folded through.
struct PowerLaw {
  sim::CompositeModel truth = test::absorbed_powerlaw(2.0, 1.8, 5e-3);
  std::vector<double> counts;  // (H)
  std::shared_ptr<const io::SparseResponse> matrix = test::nustar_matrix();
};
PowerLaw power_law(std::uint64_t seed) {
  PowerLaw s;
  s.counts = test::fake_spectrum(test::nustar_setup(2e4), s.truth, seed, 0);
  return s;
}

// Sum of a per-channel vector over each fitted bin (N), through the problem's own channel map.
std::vector<double> per_bin(const FitProblem& p, const std::vector<double>& per_channel) {
  std::vector<double> out(p.num_bins(), 0.0);
  const std::vector<double>& lo = p.bin_e_min_kev();
  const io::SparseResponse& m = *test::nustar_matrix();
  for (std::size_t c = 0; c < per_channel.size(); ++c)
    for (std::int64_t k = 0; k < p.num_bins(); ++k)
      if (m.output_e_min_kev[c] >= lo[k] && m.output_e_max_kev[c] <= p.bin_e_max_kev()[k]) out[k] += per_channel[c];
  return out;
}

}  // namespace

TEST_CASE("fit grouping: a GROUPING column gives the bins and statistic of the grouping it was written from") {
  const auto [truth, counts, matrix] = power_law(3);
  SpectrumOptions by_min = band(Statistic::cstat);
  by_min.min_counts = 100;
  const FitProblem grouped(truth, matrix, counts, 2e4, by_min);
  // The same groups as OGIP columns (grppha's output: GROUPING, and QUALITY 2 on a trailing group short of the
  // minimum), read back as a file's.
  std::vector<int> quality(counts.size(), 0);
  for (std::size_t c = 0; c < counts.size(); ++c)
    quality[c] = matrix->output_e_min_kev[c] >= 3 && matrix->output_e_max_kev[c] <= 30 ? 0 : 1;
  const io::Grouping g = io::group_min_counts(counts, 100, quality);
  SpectrumOptions by_file = band(Statistic::cstat);
  by_file.grouping = g.grouping;
  by_file.quality = g.quality;
  const FitProblem from_file(truth, matrix, counts, 2e4, by_file);
  REQUIRE(from_file.num_bins() == grouped.num_bins());
  CHECK(from_file.data().counts == grouped.data().counts);
  CHECK(from_file.bin_e_min_kev() == grouped.bin_e_min_kev());
  const auto v = grouped.free_values();
  CHECK(from_file.statistic(v) == grouped.statistic(v));
  // Without a column (or with one of all +1) every kept channel is a bin.
  const FitProblem channels(truth, matrix, counts, 2e4, band(Statistic::cstat));
  SpectrumOptions ones = band(Statistic::cstat);
  ones.grouping.assign(counts.size(), 1);
  CHECK(FitProblem(truth, matrix, counts, 2e4, ones).num_bins() == channels.num_bins());
  CHECK(channels.num_bins() > 2 * grouped.num_bins());
}

TEST_CASE("fit grouping: a file's group that straddles the energy range is dropped whole") {
  const auto [truth, counts, matrix] = power_law(4);
  const std::size_t H = counts.size();
  std::size_t first = H;  // first channel inside [3, 30] keV
  for (std::size_t c = 0; c < H && first == H; ++c)
    if (matrix->output_e_min_kev[c] >= 3) first = c;
  REQUIRE(first > 2);
  REQUIRE(first + 10 < H);
  // Groups of 4 channels from channel first - 2: the first one holds two channels below 3 keV.
  std::vector<int> grouping(H, 1);
  for (std::size_t c = first - 2; c < H; ++c) grouping[c] = (c - (first - 2)) % 4 == 0 ? 1 : -1;
  SpectrumOptions o = band(Statistic::cstat);
  o.grouping = grouping;
  const FitProblem p(truth, matrix, counts, 2e4, o);
  CHECK(p.bin_e_min_kev().front() == matrix->output_e_min_kev[first + 2]);
  for (std::int64_t k = 0; k < p.num_bins(); ++k) {
    CHECK(p.bin_e_min_kev()[k] >= 3);
    CHECK(p.bin_e_max_kev()[k] <= 30);
  }
  // A channel flagged bad by QUALITY removes its whole group, as XSPEC does.
  o.quality.assign(H, 0);
  o.quality[first + 3] = 1;
  const FitProblem q(truth, matrix, counts, 2e4, o);
  CHECK(q.num_bins() == p.num_bins() - 1);
}

TEST_CASE("fit grouping: bmin groups to a minimum of background counts, for pgstat and wstat") {
  const auto [truth, counts, matrix] = power_law(5);
  const std::vector<double> bkg = sparse_background(counts.size());
  for (Statistic st : {Statistic::pgstat, Statistic::wstat}) {
    SpectrumOptions o = band(st);
    o.background_counts = bkg;
    o.background_exposure_s = 2e4;
    const FitProblem channels(truth, matrix, counts, 2e4, o);
    apply_grouping(parse_grouping("bmin:5"), {}, o);
    CHECK(o.background_min_counts == 5);
    CHECK(o.min_counts == 0);
    const FitProblem p(truth, matrix, counts, 2e4, o);
    REQUIRE(p.data().background_counts.size() == static_cast<std::size_t>(p.num_bins()));
    for (double b : p.data().background_counts) CHECK(b >= 5);
    CHECK(per_bin(p, bkg) == p.data().background_counts);
    CHECK(per_bin(p, counts) == p.data().counts);
    CHECK(p.num_bins() < channels.num_bins() / 3);
    CHECK(std::isfinite(p.statistic(p.free_values())));
  }
}

TEST_CASE("fit grouping: the command-line forms and their errors") {
  using K = GroupingChoice::Kind;
  CHECK(parse_grouping("file").kind == K::file);
  CHECK(parse_grouping("none").kind == K::none);
  CHECK(parse_grouping("0").kind == K::none);
  CHECK(parse_grouping("20").kind == K::min);
  CHECK(parse_grouping("20").n == 20);
  CHECK(parse_grouping("min:2.5").n == 2.5);
  CHECK(parse_grouping("bmin:3").kind == K::bmin);
  for (const char* s : {"file", "none", "min:20", "bmin:3"}) CHECK(grouping_name(parse_grouping(s)) == s);
  for (const char* bad : {"", "min:", "bmin:-1", "bmin:x", "-3", "nan", "min:inf", "groups", "20x"})
    CHECK_THROWS_WITH_AS(parse_grouping(bad), doctest::Contains("file, none, N, min:N, bmin:N"), Error);

  SpectrumOptions o;
  const std::vector<int> file{1, -1, 1, -1};
  apply_grouping(parse_grouping("file"), file, o);
  CHECK(o.grouping == file);
  apply_grouping(parse_grouping("min:20"), file, o);
  CHECK(o.grouping.empty());
  CHECK(o.min_counts == 20);
  apply_grouping(parse_grouping("none"), file, o);
  CHECK((o.grouping.empty() && o.min_counts == 0 && o.background_min_counts == 0));
  CHECK_THROWS_WITH_AS(apply_grouping(parse_grouping("bmin:5"), file, o), doctest::Contains("no background"), Error);
}

TEST_CASE("fit grouping: bad grouping options are clear errors") {
  const auto [truth, counts, matrix] = power_law(6);
  SpectrumOptions o = band(Statistic::cstat);
  o.grouping.assign(counts.size() - 1, 1);
  CHECK_THROWS_WITH_AS(FitProblem(truth, matrix, counts, 2e4, o), doctest::Contains("grouping has"), Error);
  o.grouping.assign(counts.size(), 2);
  CHECK_THROWS_WITH_AS(FitProblem(truth, matrix, counts, 2e4, o), doctest::Contains("GROUPING 2"), Error);
  o.grouping.clear();
  o.background_min_counts = 5;
  CHECK_THROWS_WITH_AS(FitProblem(truth, matrix, counts, 2e4, o), doctest::Contains("needs background_counts"), Error);
  o.background_counts = sparse_background(counts.size());
  o.background_exposure_s = 2e4;
  o.min_counts = 10;
  CHECK_THROWS_WITH_AS(FitProblem(truth, matrix, counts, 2e4, o), doctest::Contains("not both"), Error);
  o.min_counts = 0;
  o.background_min_counts = std::nan("");
  CHECK_THROWS_WITH_AS(FitProblem(truth, matrix, counts, 2e4, o), doctest::Contains("background_min_counts"), Error);
}
