// tools/train_bhb.sh, the one-command recipe of the posterior network, on a toy-sized set: a call stopped by its
// time limit says so and writes no report, a second call resumes the same run, ends it, calibrates the flow's base,
// trains and calibrates two residual stages and writes the report, and a third skips every finished step.
#include <filesystem>
#include <string>

#include "cli_test_util.h"
#include "harness.h"
#include "ic_test_util.h"
#include "specnet/io/safetensors.h"

using namespace specnet;

TEST_CASE("tools/train_bhb.sh: time-limited call, resumed call with the report, then nothing left to do") {
  SPECNET_SKIP_WITHOUT_CLI();
  const auto dir = test::fresh_temp_dir("specnet_test_train_bhb_script");
  const std::string script = std::string(SPECNET_SOURCE_DIR) + "/tools/train_bhb.sh";
  const std::string env = "SPECNET=" + test::kCli +
                          " SPECNET_NUM_THREADS=2 TRAIN_COUNT=300 VAL_COUNT=40 EPOCHS=2 RESIDUAL_EPOCHS=1 RESIDUAL_STAGES=2 "
                          "LATER_RESIDUAL_EPOCHS=1 PGSTAT_COUNT=2 CORNER=0 ";
  auto run = [&](const std::string& extra_env) {
    std::string out;
    FILE* p = popen((env + extra_env + " bash " + script + " " + dir.string() + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    const int status = pclose(p);
    return std::make_pair(WEXITSTATUS(status), out);
  };
  auto [rc, out] = run("TIME_LIMIT=1e-9");
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("stopped on the time limit; run the same command again") != std::string::npos);
  CHECK(out.find("epoch   1/2") != std::string::npos);
  CHECK(out.find("epoch   2/2") == std::string::npos);
  CHECK(!std::filesystem::exists(dir / "report"));
  std::tie(rc, out) = run("");
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("after epoch 1") != std::string::npos);
  CHECK(out.find("epoch   2/2") != std::string::npos);
  CHECK(out.find("--seed 11 --out") == std::string::npos);  // the training and validation sets and stage 1 were kept
  CHECK(out.find("--seed 2 --out") == std::string::npos);
  CHECK(out.find("--stage 1") == std::string::npos);
  CHECK(load_safetensors((dir / "cos.safetensors.last").string()).metadata.at("epoch") == "2");
  CHECK(std::filesystem::exists(dir / "report" / "report.md"));
  // The flow's base was calibrated on a third set, and the report is the calibrated network's.
  CHECK(out.find("bhb calibrate --model " + (dir / "cos.safetensors").string()) != std::string::npos);
  CHECK(std::filesystem::exists(dir / "calibration" / "calibration.md"));
  CHECK(out.find("(calibrated)") != std::string::npos);
  // Then the residual stage: trained, its base calibrated, and the report is the two-stage posterior's.
  CHECK(out.find("--residual-of " + (dir / "cos_cal.safetensors").string()) != std::string::npos);
  CHECK(std::filesystem::exists(dir / "calibration_residual" / "calibration.md"));
  // A second residual stage on a fresh set, from the first one's weights, after the chain so far; the report is the
  // whole chain's.
  CHECK(std::filesystem::exists(dir / "train_res2.bhb"));
  CHECK(out.find("--residual-of " + (dir / "cos_cal.safetensors").string() + "," +
                 (dir / "res_cal.safetensors").string() + " --init " + (dir / "res.safetensors").string()) !=
        std::string::npos);
  CHECK(std::filesystem::exists(dir / "calibration_res2" / "calibration.md"));
  CHECK(out.find("residual stages `" + (dir / "res_cal.safetensors").string() + "," +
                 (dir / "res2_cal.safetensors").string() + "`") != std::string::npos);
  // Everything done: no epoch runs again, no calibration either.
  std::tie(rc, out) = run("REPORT=0");
  REQUIRE_MESSAGE(rc == 0, out);
  CHECK(out.find("epoch   ") == std::string::npos);
  CHECK(out.find("bhb calibrate") == std::string::npos);
  CHECK(out.find("bhb residual stage") == std::string::npos);
  // Without the CLI: a clear error.
  std::tie(rc, out) = run("SPECNET=/nonexistent/specnet");
  CHECK(rc == 1);
  CHECK(out.find("no CLI at /nonexistent/specnet") != std::string::npos);
}
