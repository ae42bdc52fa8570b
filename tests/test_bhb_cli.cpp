// `specnet dataset bhb` and `specnet bhb train|sample|report` end to end on a tiny set (two stages of one epoch),
// and bad commands -> a clear error and a non-zero exit. Skips when the examples were not built.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_test_util.h"
#include "harness.h"

using specnet::test::run_cli;
const std::string& kBhbCli = specnet::test::kCli;

TEST_CASE("cli: dataset bhb, bhb train (stages 1-2), sample and report") {
  if (!std::filesystem::exists(kBhbCli)) {
    MESSAGE("skipped: ", kBhbCli, " not built");
    return;
  }
  const auto dir = std::filesystem::temp_directory_path() / "specnet_test_bhb_cli";
  std::filesystem::create_directories(dir);
  const std::string set = (dir / "set.bhb").string(), s1 = (dir / "s1.safetensors").string(),
                    s2 = (dir / "s2.safetensors").string();
  auto [rc, out] = run_cli("dataset bhb --count 40 --seed 3 --quiet --out " + set);
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("40 synthetic spectra") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --batch 12 --out " + s1);
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("stage 1 epoch   1/1") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 2 --init " + s1 + " --epochs 1 --batch 12 --out " + s2);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb sample --model " + s2 + " --data " + set + " --count 10 --n 20");
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("10 spectra x 20 draws") != std::string::npos);
  CHECK((out.find("f32 sampler") != std::string::npos || out.find("bf16 sampler") != std::string::npos));
  std::tie(rc, out) = run_cli("bhb sample --model " + s2 + " --data " + set + " --count 10 --n 20 --precision f32");
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("f32 sampler") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb sample --model " + s2 + " --data " + set + " --count 10 --n 20 --precision fp8");
  CHECK(rc != 0);
  CHECK(out.find("unknown sampler precision") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb report --model " + s2 + " --data " + set + " --count 20 --samples 64 "
                                  "--pgstat-count 1 --fit-iterations 5 --corner 0 --precision auto --coverage-reference 4 --out-dir " +
                                  dir.string());
  CHECK_MESSAGE(rc == 0, out);
  CHECK(out.find("| Gamma |") != std::string::npos);
  CHECK(out.find("| credible level | coverage | network, first 4 | exact posterior, first 4 (asymptotic) |") !=
        std::string::npos);
  CHECK(out.find("on the first 4 spectra: network ") != std::string::npos);
  CHECK(out.find("PCC by subset") != std::string::npos);
  CHECK(out.find("flow NLL on this set: mean -log q(truth | x) = ") != std::string::npos);
  CHECK(out.find("at the network's most probable draw (highest log q of the 64;") != std::string::npos);
  CHECK(out.find("| kT_disk >= 1 keV |") != std::string::npos);
  CHECK(out.find("(quartile 4) | 5 |") != std::string::npos);  // 20 spectra
  CHECK(std::filesystem::exists(dir / "coverage.svg"));
  CHECK(std::filesystem::exists(dir / "report.md"));
  {
    // The exact posterior by importance sampling with the network as proposal: the report's tables beside the
    // network's, the ESS diagnostics, the same numbers on 1 and 2 threads; and its bad input.
    const std::string oracle = "bhb oracle --proposal network --model " + s2 + " --data " + set + " --count 3 --samples 64 "
                               "--network-samples 64 --refine-rounds 2 --fit-check 3 --pgstat-count 1 --fit-iterations 3 --out-dir " +
                               dir.string();
    auto [c1, t1] = run_cli(oracle, "SPECNET_NUM_THREADS=1");
    REQUIRE_MESSAGE(c1 == 0, t1);
    CHECK(t1.find("effective sample size of the network's own draws (of 64): median") != std::string::npos);
    CHECK(t1.find("| Gamma |") != std::string::npos);
    CHECK(t1.find("network+IS coverage | exact posterior, asymptotic (truth's likelihood ratio) | network coverage |") !=
          std::string::npos);
    CHECK(t1.find("network+IS / fit = ") != std::string::npos);
    CHECK(t1.find("fit check (3 LM iterations from the refined median): ") != std::string::npos);
    std::ifstream csv(dir / "oracle_spectra.csv");
    std::string header;
    std::getline(csv, header);
    CHECK(header.find(",hpd_level,ess,network_ess,rounds,restart,") != std::string::npos);
    auto [c2, t2] = run_cli(oracle, "SPECNET_NUM_THREADS=2");
    REQUIRE_MESSAGE(c2 == 0, t2);
    const auto tables = [](const std::string& t) { return t.substr(t.find("| parameter |")); };
    CHECK(tables(t1) == tables(t2));
    std::tie(rc, out) = run_cli("bhb oracle --proposal network --data " + set + " --count 3 --out-dir " + dir.string());
    CHECK(rc != 0);
    CHECK(out.find("--proposal network needs --model") != std::string::npos);
    std::tie(rc, out) = run_cli("bhb oracle --proposal magic --data " + set + " --count 3 --out-dir " + dir.string());
    CHECK(rc != 0);
    CHECK(out.find("--proposal must be mcmc or network") != std::string::npos);
  }
  {
    // The PG-stat spectra run in parallel: the same table on 1 and 2 threads.
    auto pg_table = [&](const char* threads) {
      auto [code, text] = run_cli("bhb report --model " + s2 + " --data " + set + " --count 20 --samples 64 --pgstat-count 4 "
                                  "--fit-iterations 5 --corner 0 --out-dir " + dir.string(), std::string("SPECNET_NUM_THREADS=") + threads);
      REQUIRE_MESSAGE(code == 0, text);
      const auto at = text.find("| this run |");
      REQUIRE(at != std::string::npos);
      return text.substr(at, text.find('\n', at) - at) + text.substr(text.find("most probable draw"), 120);
    };
    CHECK(pg_table("1") == pg_table("2"));
  }
  // Options beyond the paper's network: the shape scaling (3 input channels), other convolution widths, the flow
  // NLL alone; the checkpoint carries them to stage 2 and to the sampler.
  const std::string s1w = (dir / "s1w.safetensors").string(), s2w = (dir / "s2w.safetensors").string();
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --batch 12 --input-scaling shape "
                              "--conv-channels 8,16,16,16 --out " + s1w);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 2 --init " + s1w + " --epochs 1 --batch 12 "
                              "--recon-weight 0 --latent-weight 0 --out " + s2w);
  REQUIRE_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb sample --model " + s2w + " --data " + set + " --count 10 --n 20");
  CHECK_MESSAGE(rc == 0, out);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --input-scaling loud --out " + s1w);
  CHECK(rc != 0);
  CHECK(out.find("unknown input scaling 'loud'") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb train --data " + set + " --stage 1 --epochs 1 --conv-channels 8,8,8,8,8,8,8,8,8,8,8,8,8,8 "
                              "--out " + s1w);
  CHECK(rc != 0);
  CHECK(out.find("too few") != std::string::npos);
  // Bad input: clear errors, non-zero exits.
  std::tie(rc, out) = run_cli("bhb frobnicate");
  CHECK(rc != 0);
  CHECK(out.find("unknown subcommand") != std::string::npos);
  std::tie(rc, out) = run_cli("dataset nope");
  CHECK(rc != 0);
  std::tie(rc, out) = run_cli("bhb train --stage 2 --data " + set);
  CHECK(rc != 0);
  CHECK(out.find("--init") != std::string::npos);
  std::tie(rc, out) = run_cli("bhb report --model " + set + " --data " + set);
  CHECK(rc != 0);
  std::tie(rc, out) = run_cli("bhb report --model " + s2 + " --data " + set + " --count 4 --samples 64 --pgstat-count 0 "
                              "--corner 0 --coverage-reference -1 --out-dir " + dir.string());
  CHECK(rc != 0);
  CHECK(out.find("--coverage-reference must be >= 0") != std::string::npos);
  std::filesystem::remove_all(dir);
}
