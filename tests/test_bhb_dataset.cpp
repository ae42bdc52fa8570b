// bhb dataset pieces: the NICER 240-bin grouping, grouped rates and uncertainties, the record file (round trip,
// truncation, bad magic), the input scaling, metrics (PCC, HPD coverage) and the SVG writer's bad input.
#include <cmath>
#include <cstdio>
#include <fstream>

#include "harness.h"
#include "specnet/bhb/dataset.h"
#include "specnet/bhb/evaluate.h"
#include "specnet/bhb/svg.h"
#include "specnet/io/pha.h"
#include "specnet/sim/instrument.h"

using namespace specnet;

TEST_CASE("bhb grouping: 240 NICER groups over 0.3-10 keV, and grouped rates") {
  const auto resp = sim::builtin_response("nicer");
  const bhb::BinGrouping g = bhb::nicer_grouping(resp.rmf.channel_e_min_kev, resp.rmf.channel_e_max_kev);
  REQUIRE(g.size() == 240);
  CHECK(g.first[0] == 32);  // [29, 32) straddles 0.3 keV
  CHECK(g.end[71] - g.first[71] == 3);
  CHECK(g.end[72] - g.first[72] == 4);  // PI 248 starts the 4-channel groups
  CHECK(g.end[239] == 1000);
  CHECK(g.e_hi_kev[239] == doctest::Approx(10.0));
  std::vector<double> src(1501, 4.0), bkg(1501, 1.0);
  const auto s = bhb::group_spectrum(g, src.data(), bkg.data(), 2.0, 100.0, 50.0);
  // group 0: 3 channels, S = 12, B = 3 -> (12 - 6) / (100 * 50 * 0.03 keV); sigma sqrt(12) / (...)
  CHECK(s.rate[0] == doctest::Approx(6.0 / (100 * 50 * 0.03)).epsilon(1e-5));
  CHECK(s.sigma[0] == doctest::Approx(std::sqrt(12.0) / (100 * 50 * 0.03)).epsilon(1e-5));
  CHECK(s.source_counts == doctest::Approx(4.0 * (968)));
  CHECK_THROWS_AS(bhb::nicer_grouping(std::vector<double>(100, 0.0), std::vector<double>(100, 0.0)), Error);
  CHECK_THROWS_AS(bhb::group_spectrum(g, src.data(), nullptr, 1, 0.0, 50), Error);
  src[40] = std::nan("");
  CHECK_THROWS_AS(bhb::group_spectrum(g, src.data(), nullptr, 1, 100, 50), Error);
}

TEST_CASE("bhb record file: round trip, scaling, truncation and bad magic") {
  const std::string path = "bhb_test_records.bhb";
  bhb::DatasetHeader h;
  h.bins = 4;
  h.seed = 9;
  {
    bhb::DatasetWriter w(path, h);
    for (int i = 0; i < 3; ++i) {
      bhb::GroupedSpectrum s;
      s.rate = {1.f + i, 2.f, -1.f, 0.5f};
      s.sigma = {0.1f, 0.2f, 0.3f, 0.05f};
      s.source_counts = 100 + i;
      const double th[5] = {1.0 + i, 2.0 + 0.1 * i, 0.1 * (i + 1), 0.5 + i, 10.0 * (i + 1)};
      w.append(7 + i, th, s);
    }
    w.close();
  }
  const bhb::Dataset d = bhb::read_dataset(path);
  REQUIRE(d.size() == 3);
  CHECK(d.header.seed == 9);
  CHECK(d.index[2] == 9);
  CHECK(d.rate[4] == 2.f);
  CHECK(d.params[5 + 4] == 20.0);
  const bhb::Scaling sc = bhb::Scaling::fit(d);
  CHECK(sc.rate_floor == doctest::Approx(0.5));
  std::vector<float> x(3 * 2 * 4), th(3 * 5);
  sc.spectra(d, 0, 3, x.data(), th.data());
  CHECK(x[2] == 0.f);  // the negative rate is clamped to the floor = the minimum
  CHECK(x[8 + 0] == doctest::Approx((std::log10(2.0) - std::log10(0.5)) / (std::log10(3.0) - std::log10(0.5))));
  CHECK(x[4] == doctest::Approx(std::log10(1 + 0.1) / (std::log10(3.0) - std::log10(0.5))).epsilon(1e-5));
  double m = 0;
  for (int i = 0; i < 3; ++i) m += th[i * 5 + 4];
  CHECK(m == doctest::Approx(0).scale(1));  // z-scored
  CHECK(sc.to_physical(4, sc.to_scaled(4, 20.0)) == doctest::Approx(20.0));
  const bhb::Scaling back = bhb::Scaling::from_strings(sc.to_strings());
  CHECK(back.log_max == sc.log_max);
  CHECK(back.stdev[1] == sc.stdev[1]);
  CHECK_THROWS_AS(bhb::Scaling::from_strings({}), Error);
  // Truncated file and foreign file.
  {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 3));
  }
  CHECK_THROWS_AS(bhb::read_dataset(path), Error);
  std::ofstream(path) << "not a record file at all, but long enough to hold a header of sixty-four bytes......";
  CHECK_THROWS_AS(bhb::read_dataset(path), Error);
  std::remove(path.c_str());
  CHECK_THROWS_AS(bhb::read_dataset("does_not_exist.bhb"), Error);
}

TEST_CASE("bhb metrics: PCC, HPD levels and coverage") {
  CHECK(bhb::pearson({1, 2, 3}, {2, 4, 6.5}) == doctest::Approx(0.9986).epsilon(1e-3));
  CHECK_THROWS_AS(bhb::pearson({1, 1, 1}, {1, 2, 3}), Error);
  CHECK_THROWS_AS(bhb::pearson({1}, {1}), Error);
  // A calibrated 1-D Gaussian posterior: the truth is a draw from it, so HPD levels are uniform.
  const std::int64_t N = 2000, n = 200;
  Rng rng(3);
  std::vector<float> lq(N * n);
  std::vector<double> tq(N);
  for (std::int64_t i = 0; i < N; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      const double z = rng.normal();
      lq[i * n + j] = static_cast<float>(-0.5 * z * z);
    }
    const double t = rng.normal();
    tq[i] = -0.5 * t * t;
  }
  const auto h = bhb::hpd_levels(lq, tq, N, n);
  const auto c = bhb::coverage(h, {0.1, 0.5, 0.9});
  CHECK(c[0] == doctest::Approx(0.1).scale(0).epsilon(0.3));
  CHECK(c[1] == doctest::Approx(0.5).scale(0).epsilon(0.08));
  CHECK(c[2] == doctest::Approx(0.9).scale(0).epsilon(0.04));
  CHECK_THROWS_AS(bhb::hpd_levels(lq, tq, N, n + 1), Error);
}

TEST_CASE("bhb metrics: subsets by true parameters and count quartiles, and their PCC cells") {
  // Five spectra (N_H, Gamma, f_sc, kT_disk, N) with counts out of order.
  const std::vector<double> params = {1, 2, 0.01, 0.05, 1e3,   // f_sc < 0.03, kT < 0.1
                                      1, 2, 0.03, 0.1, 1e3,    // f_sc >= 0.03 (edge), kT 0.1-0.3 (edge)
                                      1, 2, 0.5, 0.5, 1e3,     // f_sc >= 0.03, kT 0.3-1: the hot-ish and scattered one
                                      1, 2, 0.002, 1.0, 1e3,   // f_sc < 0.03, kT >= 1 (edge)
                                      1, 2, 0.9, 3.0, 1e3};    // f_sc >= 0.03, kT >= 1
  const std::vector<double> counts = {5e4, 1e4, 3e6, 2e5, 7e4};
  const auto s = bhb::spectrum_subsets(params.data(), 5, counts.data());
  auto rows = [&](const std::string& name) {
    for (const auto& x : s)
      if (x.name == name) return x.rows;
    FAIL("no subset " << name);
    return std::vector<std::int64_t>{};
  };
  CHECK(rows("all") == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  CHECK(rows("f_sc < 0.03") == std::vector<std::int64_t>{0, 3});
  CHECK(rows("f_sc >= 0.03") == std::vector<std::int64_t>{1, 2, 4});
  CHECK(rows("kT_disk < 0.1 keV") == std::vector<std::int64_t>{0});
  CHECK(rows("kT_disk 0.1-0.3 keV") == std::vector<std::int64_t>{1});
  CHECK(rows("kT_disk 0.3-1 keV") == std::vector<std::int64_t>{2});
  CHECK(rows("kT_disk >= 1 keV") == std::vector<std::int64_t>{3, 4});
  CHECK(rows("f_sc >= 0.03 and kT_disk >= 0.3 keV") == std::vector<std::int64_t>{2, 4});
  // Quartiles by rank of the counts: 1e4 | 5e4 | 7e4 | 2e5, 3e6 (5 spectra: sizes 1, 1, 1, 2).
  REQUIRE(s.size() == 12);
  CHECK(s[8].name == "counts 1e+04-1e+04 (quartile 1)");
  CHECK(s[8].rows == std::vector<std::int64_t>{1});
  CHECK(s[9].rows == std::vector<std::int64_t>{0});
  CHECK(s[10].rows == std::vector<std::int64_t>{4});
  CHECK(s[11].rows == std::vector<std::int64_t>{2, 3});
  CHECK(bhb::spectrum_subsets(params.data(), 5).size() == 8);  // no counts: no quartiles
  // PCC cells: draws / medians, "n/a" below 3 spectra. Draws = truth + a per-spectrum offset: medians are exact.
  bhb::Posterior post;
  post.N = 4;
  post.n = 60;
  for (std::int64_t i = 0; i < post.N; ++i)
    for (std::int64_t p = 0; p < bhb::kNumParams; ++p) post.truth.push_back(float(i + p));
  for (std::int64_t i = 0; i < post.N; ++i)
    for (std::int64_t j = 0; j < post.n; ++j)
      for (std::int64_t p = 0; p < bhb::kNumParams; ++p) post.samples.push_back(float(i + p) + (j % 2 ? 0.5f : -0.5f));
  CHECK(bhb::pcc_cell(post, 1, {0, 1}) == "n/a");
  const std::string cell = bhb::pcc_cell(post, 1, {0, 1, 2, 3});
  CHECK(cell.substr(cell.size() - 5) == "1.000");  // the medians sit on the truths
  CHECK(std::stod(cell) < 0.95);                   // the draws scatter by +-0.5 around them
  CHECK_THROWS_AS(bhb::pcc_cell(post, 1, {0, 1, 9}), Error);
  // The most probable draw: spectrum 2's highest log q is draw 7; unscaled (mean + stdev * z, 10^ for logged ones).
  post.log_q.assign(post.N * post.n, -5.0f);
  post.log_q[2 * post.n + 7] = 3.0f;
  post.log_q[2 * post.n + 9] = 3.0f;  // a tie: the first wins
  bhb::Scaling sc;
  for (std::int64_t p = 0; p < bhb::kNumParams; ++p) sc.mean[p] = 0.5, sc.stdev[p] = 2.0;
  const auto best = bhb::posterior_best_draw(post, sc, 2);
  const double z_gamma = 2 + 1 + 0.5;  // draw 7 of spectrum 2, parameter 1: i + p + 0.5
  CHECK(best[1] == doctest::Approx(0.5 + 2.0 * z_gamma));
  CHECK(best[0] == doctest::Approx(std::pow(10.0, 0.5 + 2.0 * (2 + 0 + 0.5))));
  CHECK_THROWS_AS(bhb::posterior_best_draw(post, sc, 4), Error);
  post.log_q.pop_back();
  CHECK_THROWS_WITH_AS(bhb::posterior_best_draw(post, sc, 0), doctest::Contains("log q values for"), Error);
}

TEST_CASE("bhb SvgPlot: writes a file, rejects bad ranges") {
  bhb::SvgPlot s(200, 200);
  const int p = s.panel(30, 10, 150, 150, 0, 1, 0, 1, "x", "y", "t");
  s.points(p, {0.5, 2.0}, {0.5, 0.5}, "red");
  s.histogram(p, {0.1, 0.2, 0.2}, 0, 1, 5, "blue");
  s.save("bhb_test_plot.svg");
  std::ifstream in("bhb_test_plot.svg");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find("<svg") == 0);
  CHECK(text.find("<circle") != std::string::npos);
  std::remove("bhb_test_plot.svg");
  CHECK_THROWS_AS(s.panel(0, 0, 10, 10, 1, 0, 0, 1), Error);
  CHECK_THROWS_AS(s.points(5, {1}, {1}, "red"), Error);
}

TEST_CASE("bhb real-data path: PHA source + background files give the same grouped spectrum as the counts") {
  const bhb::Simulation s = bhb::make_simulation(0, 4);
  std::vector<double> counts;
  std::array<double, bhb::kNumParams> theta{};
  bhb::resimulate(s, 3, counts, theta);
  CHECK(theta[1] >= 1.3);
  CHECK(theta[1] <= 4.0);
  io::write_pha("bhb_test_src.pha", sim::make_source_pha(s.fakeit, counts, "bhb_test_bkg.pha"));
  io::write_pha("bhb_test_bkg.pha", sim::make_background_pha(s.fakeit, s.background_counts));
  const auto from_files = bhb::spectrum_from_pha(s.grouping, "bhb_test_src.pha", "bhb_test_bkg.pha", 52);
  const auto direct = bhb::group_spectrum(s.grouping, counts.data(), s.background_counts.data(), 1.0,
                                          s.fakeit.exposure_s, 52);
  CHECK(from_files.rate == direct.rate);
  CHECK(from_files.sigma == direct.sigma);
  CHECK_THROWS_AS(bhb::spectrum_from_pha(s.grouping, "missing.pha", "", 52), Error);
  std::remove("bhb_test_src.pha");
  std::remove("bhb_test_bkg.pha");
}
