// Bounded memory of dataset generation: `specnet simulate` streams a PHA Type II dataset much larger than its
// memory budget, and its peak RSS grows by far less than the dataset; absurd sizes fail before allocating.
#include <filesystem>
#include <regex>
#include <string>

#include "cli_test_util.h"
#include "harness.h"
#include "specnet/io/pha2.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/resources.h"

using namespace specnet;
using specnet::test::kCli;
using specnet::test::run_cli;

namespace {

// "peak memory (RSS): 41.3 MiB" from the CLI's output, or -1.
double reported_peak_mib(const std::string& out) {
  std::smatch m;
  static const std::regex re("peak memory \\(RSS\\): ([0-9.]+) MiB");
  return std::regex_search(out, m, re) ? std::stod(m[1]) : -1;
}

}  // namespace

TEST_CASE("simulate: peak RSS stays bounded for a dataset far above the memory budget") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = std::filesystem::temp_directory_path() / ("specnet_test_sim_memory_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto simulate = [&](long long count) {
    const std::string args = "simulate --model tbabs*powerlaw --priors powerlaw_2.PhoIndex=1.5:2.5 --response nustar "
                             "--exposure 1e4 --threads 1 --quiet --memory-budget-mb 8 --count " +
                             std::to_string(count) + " --out " + (dir / "ds.pha").string();
    auto [rc, out] = run_cli(args);
    REQUIRE_MESSAGE(rc == 0, out);
    const double peak = reported_peak_mib(out);
    REQUIRE_MESSAGE(peak > 0, out);
    return peak;
  };
  // 4096 NuSTAR channels: 3000 spectra are 94 MiB of counts as doubles, 12x the 8 MiB budget.
  const long long small = 16, large = 3000;
  const double dataset_mib = large * 4096 * 8 / (1024.0 * 1024.0);
  const double peak_small = simulate(small), peak_large = simulate(large);
  MESSAGE("peak RSS ", peak_small, " MiB for ", small, " spectra, ", peak_large, " MiB for ", large, " (",
          dataset_mib, " MiB of counts)");
  CHECK(std::filesystem::file_size(dir / "ds.pha") > static_cast<std::uintmax_t>(dataset_mib / 3 * 1024 * 1024));
  CHECK(peak_large - peak_small < 16);  // the budget (8 MiB) plus allocator slack, not the dataset's 94 MiB
  std::filesystem::remove_all(dir);
}

TEST_CASE("simulate_dataset: a parameter table beyond the memory budget fails before writing anything") {
  const sim::FakeitSetup setup = sim::make_fakeit_setup(sim::builtin_response("nicer"), 1e3);
  const sim::CompositeModel model("powerlaw");
  sim::DatasetOptions d;
  d.count = 1'000'000'000'000;  // 10^12 spectra: 16 TB of parameters
  d.memory_budget_mb = 64;
  const std::string path = (std::filesystem::temp_directory_path() / "specnet_never_written.pha").string();
  std::filesystem::remove(path);
  CHECK_THROWS_WITH_AS(sim::simulate_dataset(setup, model, {}, d, path),
                       doctest::Contains("exceeds half the memory budget of 64 MiB"), Error);
  CHECK_FALSE(std::filesystem::exists(path));
  d.memory_budget_mb = -1;
  CHECK_THROWS_WITH_AS(sim::simulate_dataset(setup, model, {}, d, path), doctest::Contains("memory budget must be >= 0"),
                       Error);
}

TEST_CASE("resources: RSS figures are positive and the budget comes from SPECNET_MEMORY_BUDGET_MB") {
  CHECK(sim::peak_rss_mb() > 0);
  CHECK(sim::current_rss_mb() > 0);
  CHECK(sim::current_rss_mb() <= sim::peak_rss_mb() + 1);
  ::setenv("SPECNET_MEMORY_BUDGET_MB", "123", 1);
  CHECK(sim::default_memory_budget_mb() == 123);
  ::setenv("SPECNET_MEMORY_BUDGET_MB", "12x", 1);
  CHECK_THROWS_WITH_AS(sim::default_memory_budget_mb(), doctest::Contains("'12x' is not a whole number"), Error);
  ::setenv("SPECNET_MEMORY_BUDGET_MB", "0", 1);
  CHECK_THROWS_WITH_AS(sim::default_memory_budget_mb(), doctest::Contains("must be > 0"), Error);
  ::unsetenv("SPECNET_MEMORY_BUDGET_MB");
  CHECK(sim::default_memory_budget_mb() == 512);
}

TEST_CASE("simulate_dataset: the dataset does not depend on the memory budget (wave size)") {
  const sim::FakeitSetup setup = sim::make_fakeit_setup(sim::builtin_response("nicer"), 1e3);
  const sim::CompositeModel model("tbabs*powerlaw");
  const auto priors = sim::parse_priors("powerlaw_2.PhoIndex=1.5:2.5,tbabs_1.nH=0.1:1:log");
  sim::DatasetOptions d;
  d.count = 40;
  d.seed = 9;
  d.progress = false;
  auto write = [&](std::int64_t budget_mb, const char* name) {
    d.memory_budget_mb = budget_mb;  // 1 MiB: waves of ~21 spectra for NICER's 1501 channels; 512: one wave
    const std::string path = (std::filesystem::temp_directory_path() / name).string();
    sim::simulate_dataset(setup, model, priors, d, path);
    io::SpectrumSet set = io::read_pha2(path);
    std::filesystem::remove(path);
    return set;
  };
  const io::SpectrumSet small = write(1, "specnet_budget_1.pha"), large = write(512, "specnet_budget_512.pha");
  REQUIRE(small.num_spectra() == 40);
  CHECK(small.counts == large.counts);
  CHECK(small.params.values == large.params.values);
}
