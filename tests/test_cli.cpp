// The specnet command-line tool end to end: simulate a spectrum, fit it with a linked parameter and MCMC,
// and bad options -> a clear error and a non-zero exit. Skips when the examples were not built.
#include <cstdio>
#include <filesystem>
#include <string>

#include "cli_test_util.h"
#include "harness.h"

using specnet::test::kCli;
using specnet::test::run_cli;

TEST_CASE("cli: simulate, then fit with a link and MCMC") {
  if (!std::filesystem::exists(kCli)) {
    MESSAGE("skipped: ", kCli, " not built (SPECNET_BUILD_EXAMPLES=OFF)");
    return;
  }
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

TEST_CASE("cli: a malformed SPECNET_NUM_THREADS is a clear error, not 'all cores'") {
  if (!std::filesystem::exists(kCli)) {
    MESSAGE("skipped: ", kCli, " not built (SPECNET_BUILD_EXAMPLES=OFF)");
    return;
  }
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
