// The specnet command-line tool end to end: simulate a spectrum, fit it with a linked parameter and MCMC,
// and bad options -> a clear error and a non-zero exit. Skips when the examples were not built.
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli_test_util.h"
#include "harness.h"
#include "specnet/io/pha.h"

using specnet::test::kCli;
using specnet::test::run_cli;

TEST_CASE("cli: simulate, then fit with a link and MCMC") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_cli";
  std::filesystem::create_directories(dir);
  const std::string pha = (dir / "two_pl.pha").string();
  auto [rc_sim, out_sim] = run_cli("simulate --model \"powerlaw+powerlaw\" --params powerlaw_1.PhoIndex=1.7,"
                                   "powerlaw_1.norm=0.005,powerlaw_2.PhoIndex=1.7,powerlaw_2.norm=0.005 "
                                   "--exposure 1e5 --response nustar --background off --seed 3 --out " + pha);
  REQUIRE_MESSAGE(rc_sim == 0, out_sim);
  auto [rc, out] = run_cli("fit --data " + pha + " --model \"powerlaw+powerlaw\" --link powerlaw_2.PhoIndex=powerlaw_1.PhoIndex "
                           "--errors none --mcmc 200 --walkers 8");
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("MCMC: 8 walkers x 200 steps") != std::string::npos);
  CHECK(out.find("powerlaw_1.PhoIndex") != std::string::npos);
  CHECK(out.find("powerlaw_2.PhoIndex ") == std::string::npos);  // linked: not a free parameter

  auto [rc_bad, out_bad] = run_cli("fit --data " + pha + " --model powerlaw --link nonsense");
  CHECK(rc_bad != 0);
  CHECK(out_bad.find("must look like target=source") != std::string::npos);
  auto [rc_num, out_num] = run_cli("simulate --model powerlaw --exposure 1e5x --out " + (dir / "x.pha").string());
  CHECK(rc_num != 0);
  CHECK(out_num.find("is not a finite number") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: fit bins a PHA by its GROUPING column (as XSPEC), unless --group says otherwise") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_cli_group";
  std::filesystem::create_directories(dir);
  const std::string pha = (dir / "pl.pha").string(), grouped = (dir / "pl_grouped.pha").string();
  auto [rc_sim, out_sim] = run_cli("simulate --model powerlaw --params powerlaw_1.PhoIndex=1.7,powerlaw_1.norm=0.01 "
                                   "--exposure 1e5 --response nustar --background off --seed 4 --out " + pha);
  REQUIRE_MESSAGE(rc_sim == 0, out_sim);
  specnet::io::Spectrum sp = specnet::io::read_pha(pha);
  sp.grouping.resize(sp.counts.size());
  for (std::size_t c = 0; c < sp.counts.size(); ++c) sp.grouping[c] = c % 4 == 0 ? 1 : -1;
  specnet::io::write_pha(grouped, sp);
  // "model powerlaw, N bins in ..." of a fit's output.
  const auto bins = [](const std::string& out) {
    const std::size_t at = out.find("model powerlaw, ");
    return at == std::string::npos ? -1L : std::stol(out.substr(at + 16));
  };
  const std::string fit = "fit --model powerlaw --emin 3 --emax 30 --errors none --data ";
  auto [rc1, by_file] = run_cli(fit + grouped);
  REQUIRE_MESSAGE(rc1 == 0, by_file);
  CHECK(by_file.find("(grouping file)") != std::string::npos);
  auto [rc2, channels] = run_cli(fit + grouped + " --group none");
  REQUIRE_MESSAGE(rc2 == 0, channels);
  auto [rc3, ungrouped] = run_cli(fit + pha);
  REQUIRE_MESSAGE(rc3 == 0, ungrouped);
  CHECK(bins(channels) == bins(ungrouped));  // a file without GROUPING: one bin per channel
  CHECK(bins(by_file) > 0);
  CHECK(bins(by_file) <= bins(channels) / 4 + 1);
  CHECK(bins(by_file) >= bins(channels) / 4 - 1);
  auto [rc4, min50] = run_cli(fit + grouped + " --group 50");
  REQUIRE_MESSAGE(rc4 == 0, min50);
  CHECK(min50.find("(grouping min:50)") != std::string::npos);
  auto [rc5, bmin] = run_cli(fit + grouped + " --group bmin:5");
  CHECK(rc5 != 0);
  CHECK(bmin.find("no background") != std::string::npos);
  auto [rc6, bad] = run_cli(fit + grouped + " --group four");
  CHECK(rc6 != 0);
  CHECK(bad.find("file, none, N, min:N, bmin:N") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: a malformed SPECNET_NUM_THREADS is a clear error, not 'all cores'") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto out_path = (std::filesystem::temp_directory_path() / "specnet_test_threads.pha").string();
  for (const char* bad : {"abc", "4x", "1000000", "-2"}) {
    CAPTURE(std::string(bad));
    auto [rc, out] = run_cli("simulate --model powerlaw --exposure 1e4 --response nustar --background off --out " +
                                 out_path, std::string("SPECNET_NUM_THREADS=") + bad);
    CHECK(rc != 0);
    CHECK_MESSAGE(out.find("SPECNET_NUM_THREADS='") != std::string::npos, out);
  }
  std::filesystem::remove(out_path);
}
