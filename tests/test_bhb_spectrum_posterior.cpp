// The fit posterior of an observed BHB spectrum (training prior x PG-stat / C-stat): the same statistic from the
// simulation's counts and from PHA files written from them, importance sampling against it matching the exact
// posterior, the search when every network draw lies outside the prior, the fit check that restarts a search which
// missed the mode, `specnet bhb posterior` end to end, and bad input.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "bhb_oracle_util.h"
#include "cli_test_util.h"
#include "harness.h"
#include "specnet/bhb/importance.h"
#include "specnet/bhb/spectrum_posterior.h"
#include "specnet/io/pha.h"

using namespace specnet;
using namespace specnet::test;

namespace {

constexpr std::int64_t P = bhb::kNumParams;

// A COUNTS PHA file of the NICER grid (1501 channels).
void write_counts_pha(const std::string& path, const std::vector<double>& counts, double exposure_s) {
  io::Spectrum sp;
  sp.header.telescop = "NICER";
  sp.header.instrume = "XTI";
  sp.header.detchans = static_cast<long long>(counts.size());
  sp.header.first_channel = 0;
  sp.exposure_s = exposure_s;
  sp.counts = counts;
  for (std::size_t c = 0; c < counts.size(); ++c) sp.channel.push_back(static_cast<int>(c));
  io::write_pha(path, sp);
}

std::array<double, P> unscaled(const std::array<double, P>& theta) {
  std::array<double, P> u{};
  for (std::int64_t p = 0; p < P; ++p) u[p] = bhb::kParamLog[p] ? std::log10(theta[p]) : theta[p];
  return u;
}

std::filesystem::path scratch_dir() {
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_bhb_spectrum_posterior";
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("bhb spectrum posterior: -stat/2 in the prior box, the same from PHA files, bad input") {
  const bhb::Simulation s = coarse_simulation(1e3);
  const std::array<double, P> truth = {0.5, 2.2, 0.2, 0.8, 300};
  const std::vector<double> counts = counts_at(s, truth);
  const bhb::SpectrumPosterior post(bhb::simulation_problem(s, counts), bhb::prior_box(s));
  auto sc = post.make_scratch();
  const std::array<double, P> u = unscaled(truth);
  const double stat = post.problem().statistic(bhb::free_values_of(post.problem(), truth));
  CHECK(post.log_prob(u.data(), sc) == doctest::Approx(-0.5 * stat).epsilon(1e-12));
  CHECK(bhb::reduced_statistic(post.problem(), truth) == doctest::Approx(bhb::reduced_pgstat(s, counts, truth)));
  // Outside the box and NaN: -inf.
  std::array<double, P> out = u;
  out[1] = 1.2;  // Gamma below the prior's 1.3
  CHECK(post.log_prob(out.data(), sc) == -std::numeric_limits<double>::infinity());
  out = u;
  out[4] = std::nan("");
  CHECK(post.log_prob(out.data(), sc) == -std::numeric_limits<double>::infinity());
  // A better point has a higher density: the truth beats a 30% brighter disk.
  out = u;
  out[4] += std::log10(1.3);
  CHECK(post.log_prob(out.data(), sc) < post.log_prob(u.data(), sc) - 10);

  // The same spectrum as PHA files (source and the simulation's background realisation, equal exposures): the same
  // PG-stat. Without the background file the statistic is C-stat, which differs.
  const auto dir = scratch_dir();
  const std::string src = (dir / "src.pha").string(), bkg = (dir / "bkg.pha").string();
  write_counts_pha(src, counts, s.fakeit.exposure_s);
  write_counts_pha(bkg, s.background_counts, s.fakeit.exposure_s / s.bkg_ratio);
  const auto from_files = bhb::pha_problem(s, src, bkg);
  CHECK(from_files->data().statistic == fit::Statistic::pgstat);
  CHECK(from_files->statistic(bhb::free_values_of(*from_files, truth)) == doctest::Approx(stat).epsilon(1e-12));
  // W-stat (a Poisson background spectrum) on the same files, and no other statistic.
  const auto wstat = bhb::pha_problem(s, src, bkg, fit::Statistic::wstat);
  CHECK(wstat->data().statistic == fit::Statistic::wstat);
  CHECK(wstat->statistic(bhb::free_values_of(*wstat, truth)) != doctest::Approx(stat));
  CHECK_THROWS_WITH_AS(bhb::pha_problem(s, src, bkg, fit::Statistic::chi2), doctest::Contains("pgstat or wstat"), Error);
  const auto no_bkg = bhb::pha_problem(s, src, "");
  CHECK(no_bkg->data().statistic == fit::Statistic::cstat);
  CHECK(no_bkg->statistic(bhb::free_values_of(*no_bkg, truth)) != doctest::Approx(stat));
  // The files read once, as bhb posterior does: the same statistic and the same network input as from the paths.
  const bhb::PhaSpectra read = bhb::read_pha_spectra(src, bkg, counts.size());
  CHECK(bhb::pha_problem(s, read)->statistic(bhb::free_values_of(*from_files, truth)) ==
        from_files->statistic(bhb::free_values_of(*from_files, truth)));
  CHECK(bhb::spectrum_from_pha(s.grouping, read, 52).rate == bhb::spectrum_from_pha(s.grouping, src, bkg, 52).rate);
  CHECK(bhb::read_pha_spectra(src, "", counts.size()).background == std::nullopt);
  bhb::PhaSpectra cut = read;
  cut.background->counts.pop_back();
  CHECK_THROWS_WITH_AS(bhb::pha_problem(s, cut), doctest::Contains("background spectrum has"), Error);
  CHECK_THROWS_WITH_AS(bhb::spectrum_from_pha(s.grouping, cut, 52), doctest::Contains("background spectrum has"), Error);
  CHECK_THROWS_WITH_AS(bhb::read_pha_spectra(src, bkg, counts.size() + 1), doctest::Contains("channels"), Error);
  // A fit from the truth does not get worse.
  std::array<double, P> fitted{};
  fit::FitProblem copy = *from_files;
  const fit::FitResult f = bhb::fit_problem(copy, 30, fitted, &truth);
  CHECK(f.statistic <= stat + 1e-6);

  // The source file's GROUPING column is used as XSPEC uses it (groups of 4 channels here), unless another
  // grouping is asked for; bmin:N groups to >= N background counts per bin.
  {
    io::Spectrum grouped = io::read_pha(src);
    grouped.grouping.resize(counts.size());
    for (std::size_t c = 0; c < counts.size(); ++c) grouped.grouping[c] = c % 4 == 0 ? 1 : -1;
    const std::string gsrc = (dir / "grouped.pha").string();
    io::write_pha(gsrc, grouped);
    const auto by_file = bhb::pha_problem(s, gsrc, bkg);
    const auto channels = bhb::pha_problem(s, gsrc, bkg, fit::Statistic::pgstat, fit::parse_grouping("none"));
    CHECK(channels->num_bins() == from_files->num_bins());
    CHECK(by_file->num_bins() <= channels->num_bins() / 4);
    CHECK(by_file->num_bins() >= channels->num_bins() / 4 - 2);
    const auto bmin = bhb::pha_problem(s, gsrc, bkg, fit::Statistic::pgstat, fit::parse_grouping("bmin:5"));
    for (double b : bmin->data().background_counts) CHECK(b >= 5);
    CHECK(bmin->num_bins() < by_file->num_bins());
    CHECK_THROWS_WITH_AS(bhb::pha_problem(s, gsrc, "", fit::Statistic::pgstat, fit::parse_grouping("bmin:5")),
                         doctest::Contains("no background"), Error);
  }

  // Bad input: a missing file, another channel count, a rate spectrum.
  CHECK_THROWS_AS(bhb::pha_problem(s, (dir / "missing.pha").string(), ""), Error);
  write_counts_pha((dir / "short.pha").string(), std::vector<double>(1000, 1.0), 100);
  CHECK_THROWS_WITH_AS(bhb::pha_problem(s, (dir / "short.pha").string(), ""), doctest::Contains("1000 channels"), Error);
  CHECK_THROWS_WITH_AS(bhb::pha_problem(s, src, (dir / "short.pha").string()), doctest::Contains("background"), Error);
  io::Spectrum rate = io::read_pha(src);
  rate.header.is_rate = true;
  for (double& c : rate.counts) c /= s.fakeit.exposure_s;
  io::write_pha((dir / "rate.pha").string(), rate);
  CHECK_THROWS_WITH_AS(bhb::pha_problem(s, (dir / "rate.pha").string(), ""), doctest::Contains("COUNTS"), Error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("bhb spectrum posterior: importance sampling against it matches the exact posterior; search from outside the prior") {
  const bhb::Simulation s = coarse_simulation(1e3);
  const std::array<double, P> truth = {0.5, 2.2, 0.2, 0.8, 300};
  const std::vector<double> counts = counts_at(s, truth);
  const bhb::ExactPosterior exact(s, counts);
  const bhb::SpectrumPosterior fitpost(bhb::simulation_problem(s, counts), bhb::prior_box(s));
  // Broad proposals around the truth (4x the posterior's width in every log parameter, uncorrelated), refined by
  // the adaptive rounds against each target.
  const std::array<double, P> u = unscaled(truth);
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(P, P);
  const std::array<double, P> width = {0.2, 0.4, 0.4, 0.05, 0.2};
  for (std::int64_t p = 0; p < P; ++p) cov(p, p) = width[p] * width[p];
  std::vector<float> draws, log_q;
  gaussian_proposals(u, cov, 2048, 11, draws, log_q);
  bhb::RefineOptions o;
  o.rounds = 12;
  const bhb::ImportanceDraws a = bhb::importance_resample(exact, identity_scaling(), draws.data(), log_q.data(), 2048, 2048, 3, o);
  const bhb::ImportanceDraws b = bhb::importance_resample(fitpost, identity_scaling(), draws.data(), log_q.data(), 2048, 2048, 3, o);
  MESSAGE("ESS exact ", a.weights.ess, " (", a.rounds, " rounds), fit posterior ", b.weights.ess, " (", b.rounds, " rounds)");
  REQUIRE(a.weights.ess > 200);
  REQUIRE(b.weights.ess > 200);
  // PG-stat with the measured background (channels) and the exact Poisson law with the known background rate
  // (groups) are different likelihoods of the same counts: their posteriors agree to a fraction of their width.
  for (std::int64_t p = 0; p < P; ++p) {
    const Moments ma = moments(a.samples, p), mb = moments(b.samples, p);
    MESSAGE(std::string(bhb::kParamNames[p]), ": exact ", ma.mean, " +- ", ma.sd, ", fit posterior ", mb.mean, " +- ", mb.sd);
    CHECK(std::abs(ma.mean - mb.mean) < 0.5 * ma.sd);
    CHECK(std::abs(mb.sd / ma.sd - 1) < 0.1);
  }
  // Resample-move: 20 Metropolis steps on the resampled draws keep the posterior's moments and widths, and spread
  // the duplicates of the resampling.
  {
    bhb::RefineOptions m = o;
    m.move_steps = 20;
    const bhb::ImportanceDraws moved = bhb::importance_resample(exact, identity_scaling(), draws.data(), log_q.data(), 2048, 2048, 3, m);
    const auto distinct = [](const std::vector<float>& v) {
      std::vector<std::vector<float>> rows;
      for (std::size_t k = 0; k < v.size(); k += P) rows.emplace_back(v.begin() + k, v.begin() + k + P);
      std::sort(rows.begin(), rows.end());
      return std::unique(rows.begin(), rows.end()) - rows.begin();
    };
    // Four rounds from the broad proposals leave an ESS near 1: the resampled draws repeat a handful of proposals.
    bhb::RefineOptions plain_o;
    plain_o.rounds = 4;
    const bhb::ImportanceDraws plain = bhb::importance_resample(exact, identity_scaling(), draws.data(), log_q.data(), 2048, 2048, 3, plain_o);
    plain_o.move_steps = 20;
    const bhb::ImportanceDraws plain_moved = bhb::importance_resample(exact, identity_scaling(), draws.data(), log_q.data(), 2048, 2048, 3, plain_o);
    MESSAGE("resample-move: acceptance ", moved.move_acceptance, "; distinct draws of plain IS (ESS ", plain.weights.ess,
            ") ", distinct(plain.samples), " -> ", distinct(plain_moved.samples), " of 2048");
    CHECK(moved.move_acceptance > 0.1);
    CHECK(moved.move_acceptance < 0.6);
    CHECK(distinct(plain_moved.samples) > 2 * distinct(plain.samples));
    auto msc = exact.make_scratch();
    const double mu[P] = {moved.samples[0], moved.samples[1], moved.samples[2], moved.samples[3], moved.samples[4]};
    CHECK(moved.log_post[0] == doctest::Approx(exact.log_prob(mu, msc)).epsilon(1e-6));
    for (std::int64_t p = 0; p < P; ++p) {
      const Moments ma = moments(a.samples, p), mm = moments(moved.samples, p);
      MESSAGE(std::string(bhb::kParamNames[p]), ": IS ", ma.mean, " +- ", ma.sd, ", moved ", mm.mean, " +- ", mm.sd);
      CHECK(std::abs(mm.mean - ma.mean) < 0.15 * ma.sd);
      CHECK(std::abs(mm.sd / ma.sd - 1) < 0.1);
    }
    m.move_steps = -1;
    CHECK_THROWS_WITH_AS(bhb::importance_resample(exact, identity_scaling(), draws.data(), log_q.data(), 2048, 16, 3, m),
                         doctest::Contains("move steps"), Error);
  }
  // The resampled draws carry the fit posterior's log density.
  auto sc = fitpost.make_scratch();
  const double u0[P] = {b.samples[0], b.samples[1], b.samples[2], b.samples[3], b.samples[4]};
  CHECK(b.log_post[0] == doctest::Approx(fitpost.log_prob(u0, sc)).epsilon(1e-6));

  // The fit check: narrow proposals 40 posterior widths off in log N and log kT_disk, so that 4 rounds of
  // cross-entropy steps crawl towards the mode without reaching it. A fit from their median finds it, beats every
  // draw, and the rounds restarted around the fit recover the posterior.
  {
    std::array<double, P> centre = u;
    centre[3] += 40 * moments(a.samples, 3).sd;
    centre[4] -= 40 * moments(a.samples, 4).sd;
    Eigen::MatrixXd narrow = Eigen::MatrixXd::Zero(P, P);
    for (std::int64_t p = 0; p < P; ++p) narrow(p, p) = std::pow(moments(a.samples, p).sd, 2);
    std::vector<float> nd, nq;
    gaussian_proposals(centre, narrow, 1024, 13, nd, nq);
    bhb::RefineOptions f = o;
    f.rounds = 8;
    const bhb::ImportanceDraws lost = bhb::importance_resample(exact, identity_scaling(), nd.data(), nq.data(), 1024, 1024, 5, f);
    CHECK(!lost.fit.ran);
    f.fit_iterations = 60;
    const bhb::ImportanceDraws found = bhb::importance_resample(exact, identity_scaling(), nd.data(), nq.data(), 1024, 1024, 5, f);
    MESSAGE("fit check: log posterior gain ", found.fit.log_post_gain, ", restart ", found.fit.restart, ", ESS ",
            lost.weights.ess, " -> ", found.weights.ess, ", reduced PG-stat of the fit ", found.fit.reduced_statistic);
    CHECK(found.fit.ran);
    CHECK(found.fit.log_post_gain > 1);
    CHECK(found.fit.restart == 2);
    CHECK(found.network_ess == lost.network_ess);
    CHECK(found.fit.reduced_statistic == doctest::Approx(bhb::reduced_pgstat(s, counts, found.fit.theta)).epsilon(1e-9));
    bool lost_any = false;
    for (std::int64_t p = 0; p < P; ++p) {
      const Moments ma = moments(a.samples, p), ml = moments(lost.samples, p), mf = moments(found.samples, p);
      MESSAGE(std::string(bhb::kParamNames[p]), ": exact ", ma.mean, " +- ", ma.sd, ", without the check ", ml.mean,
              ", with it ", mf.mean, " +- ", mf.sd);
      lost_any = lost_any || std::abs(ml.mean - ma.mean) > 3 * ma.sd;
      CHECK(std::abs(mf.mean - ma.mean) < 0.5 * ma.sd);
      CHECK(std::abs(mf.sd / ma.sd - 1) < 0.3);
    }
    CHECK(lost_any);  // the case needs the check
    f.fit_iterations = -1;
    CHECK_THROWS_WITH_AS(bhb::importance_resample(exact, identity_scaling(), nd.data(), nq.data(), 1024, 16, 5, f),
                         doctest::Contains("fit iterations"), Error);
  }

  // Every proposal below the prior's Gamma (as the network does on a spectrum far from its training set): plain
  // importance sampling cannot start; the rounds redraw Gamma in the box and find the posterior.
  std::vector<float> off = draws;
  for (std::int64_t j = 0; j < 2048; ++j) off[j * P + 1] = static_cast<float>(0.8 + 0.01 * draws[j * P + 1]);
  CHECK_THROWS_WITH_AS(bhb::importance_resample(fitpost, identity_scaling(), off.data(), log_q.data(), 2048, 256, 3),
                       doctest::Contains("outside the prior box"), Error);
  const bhb::ImportanceDraws c = bhb::importance_resample(fitpost, identity_scaling(), off.data(), log_q.data(), 2048, 2048, 3, o);
  MESSAGE("search: ESS ", c.weights.ess, " after ", c.rounds, " rounds; Gamma ", moments(c.samples, 1).mean);
  CHECK(c.network_ess == 0);
  CHECK(c.rounds >= 1);
  CHECK(c.weights.ess > 50);
  const Moments g = moments(c.samples, 1), ga = moments(a.samples, 1);
  CHECK(std::abs(g.mean - ga.mean) < ga.sd);
}

TEST_CASE("cli: bhb posterior on PHA files, and its bad input") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = scratch_dir();
  const std::string set = (dir / "set.bhb").string(), s1 = (dir / "s1.safetensors").string(),
                    s2 = (dir / "s2.safetensors").string();
  auto [rc, out] = run_cli("dataset bhb --count 24 --seed 3 --quiet --out " + set);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --batch 12 --out " + s1);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 2 --init " + s1 + " --epochs 1 --batch 12 "
                              "--recon-weight 0 --latent-weight 0 --out " + s2);
  REQUIRE_MESSAGE(rc == 0, out);
  // A simulated spectrum of the built-in response as source and background PHA files.
  const bhb::Simulation s = bhb::make_simulation(0, 3);
  std::vector<double> counts;
  std::array<double, P> theta{};
  bhb::resimulate(s, 0, counts, theta);
  const std::string src = (dir / "src.pha").string(), bkg = (dir / "bkg.pha").string();
  write_counts_pha(src, counts, s.fakeit.exposure_s);
  write_counts_pha(bkg, s.background_counts, s.fakeit.exposure_s);
  const std::string cmd = "bhb posterior --model " + s2 + " --pha " + src + ":" + bkg + "," + src +
                          " --samples 64 --draws 64 --refine-rounds 2 --fit-iterations 3 --corner 1 --out-dir " +
                          dir.string();
  auto [c1, t1] = run_cli(cmd, "SPECNET_NUM_THREADS=1");
  REQUIRE_MESSAGE(c1 == 0, t1);
  CHECK(t1.find("# BHB posteriors of 2 spectra") != std::string::npos);
  CHECK(t1.find("; pgstat over 0") == std::string::npos);
  CHECK(t1.find(" bins (grouping file); ESS of the network's draws") != std::string::npos);
  CHECK(t1.find("; pgstat over ") != std::string::npos);
  CHECK(t1.find("; cstat over ") != std::string::npos);
  CHECK(t1.find("| Gamma |") != std::string::npos);
  CHECK(t1.find("reduced pgstat at the network median") != std::string::npos);
  CHECK(t1.find("bins hold fewer than 5 background counts") != std::string::npos);  // ~0.5 per channel
  CHECK(std::filesystem::exists(dir / "corner_0.svg"));
  CHECK(!std::filesystem::exists(dir / "corner_1.svg"));
  {
    std::ifstream csv(dir / "posterior.csv");
    std::string header, row;
    std::getline(csv, header);
    CHECK(header.find("spectrum,source,background,statistic,fit_bins,source_counts,network_ess,ess,rounds") == 0);
    int rows = 0;
    while (std::getline(csv, row)) rows += !row.empty();
    CHECK(rows == 2);
    std::ifstream draws(dir / "draws_1.csv");
    int n = 0;
    for (std::string line; std::getline(draws, line);) ++n;
    CHECK(n == 1 + 64 + 64);
  }
  // The same report on 2 threads (timings aside).
  auto [c2, t2] = run_cli(cmd, "SPECNET_NUM_THREADS=2");
  REQUIRE_MESSAGE(c2 == 0, t2);
  const auto tables = [](const std::string& t) {
    std::string r;
    for (std::size_t at = t.find("| parameter |"); at != std::string::npos; at = t.find("| parameter |", at + 1))
      r += t.substr(at, t.find("\n\n", at) - at);
    return r;
  };
  CHECK(tables(t1) == tables(t2));
  // W-stat instead of PG-stat for the background file; a bad statistic.
  std::tie(rc, out) = run_cli("bhb posterior --model " + s2 + " --pha " + src + ":" + bkg + " --statistic wstat "
                              "--samples 64 --draws 64 --refine-rounds 1 --fit-iterations 0 --corner 0 --out-dir " + dir.string());
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("; wstat over ") != std::string::npos);
  // Grouping to >= 5 background counts per bin (the background here has ~0.5 per channel), and a bad grouping.
  std::tie(rc, out) = run_cli("bhb posterior --model " + s2 + " --pha " + src + ":" + bkg + " --group bmin:5 "
                              "--samples 64 --draws 64 --refine-rounds 1 --fit-iterations 0 --corner 0 --out-dir " + dir.string());
  CHECK_MESSAGE(rc == 0, out);
  const std::size_t at = out.find("; pgstat over ");
  REQUIRE(at != std::string::npos);
  const long bins = std::stol(out.substr(at + 14));
  CHECK(bins > 10);
  CHECK(bins < 400);
  CHECK(out.find(" bins (grouping bmin:5); ESS") != std::string::npos);
  CHECK(out.find("bins hold fewer than 5 background counts") == std::string::npos);
  std::tie(rc, out) = run_cli("bhb posterior --model " + s2 + " --pha " + src + ":" + bkg + " --group bmin:x --out-dir " +
                              dir.string());
  CHECK(rc != 0);
  CHECK(out.find("file, none, N, min:N, bmin:N") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb posterior --model " + s2 + " --pha " + src + ":" + bkg + " --statistic chi --out-dir " +
                              dir.string());
  CHECK(rc != 0);
  CHECK(out.find("--statistic must be pgstat or wstat") != std::string::npos);
  // A spectrum that cannot be fitted (no counts) is reported as failed, the others still are, and the exit status
  // says so.
  const std::string empty = (dir / "empty.pha").string();
  write_counts_pha(empty, std::vector<double>(counts.size(), 0.0), s.fakeit.exposure_s);
  std::tie(rc, out) = run_cli("bhb posterior --model " + s2 + " --pha " + empty + "," + src + " --samples 64 --draws 64 "
                              "--refine-rounds 1 --fit-iterations 0 --corner 0 --out-dir " + dir.string());
  CHECK(rc == 3);
  CHECK(out.find("## spectrum 0: `" + empty + "`\n\n**failed**: ") != std::string::npos);
  CHECK(out.find("## spectrum 1: `" + src + "`") != std::string::npos);
  {
    std::ifstream csv(dir / "posterior.csv");
    std::string header, row0;
    std::getline(csv, header);
    std::getline(csv, row0);
    CHECK(row0.rfind("0," + empty + ",,failed,nan", 0) == 0);
    CHECK(std::count(row0.begin(), row0.end(), ',') == std::count(header.begin(), header.end(), ','));
  }
  // Bad input.
  std::tie(rc, out) = run_cli("bhb posterior --pha " + src + " --out-dir " + dir.string());
  CHECK(rc != 0);
  CHECK(out.find("--model is required") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb posterior --model " + s2 + " --pha " + (dir / "none.pha").string() + " --out-dir " + dir.string());
  CHECK(rc != 0);
  std::tie(rc, out) = run_cli("bhb posterior --model " + s2 + " --pha " + src + " --out-dir " + (dir / "no/such").string());
  CHECK(rc != 0);
  CHECK(out.find("cannot write") != std::string::npos);
  std::filesystem::remove_all(dir);
}
