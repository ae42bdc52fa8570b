// Crash-safe training of the IC CAE (issue #8): `specnet ic train` is SIGKILLed at a known batch of epoch 2 (it stops
// itself there under SPECNET_TEST_STOP_AT and the test kills it), then resumed from its per-epoch checkpoint; the final
// weights must equal, byte for byte, those of an uninterrupted run.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "crash_test_util.h"
#include "ic_test_util.h"
#include "specnet/ic/dataset.h"
#include "specnet/io/safetensors.h"

namespace {
using specnet::test::kCli;
using specnet::test::slurp;
using specnet::test::wait_exit;

// The CLI with `args` (stdout/stderr to `log`), optionally with SPECNET_NUM_THREADS set; returns the pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log, const char* threads) {
  std::vector<std::pair<std::string, std::string>> env;
  if (threads) env.emplace_back("SPECNET_NUM_THREADS", threads);
  return specnet::test::spawn_cli(args, log, env);
}
}  // namespace

TEST_CASE("ic train: SIGKILL mid-epoch, then --resume gives bitwise the weights of an uninterrupted run") {
  SPECNET_SKIP_WITHOUT_CLI();
  using namespace specnet::ic;
  // Per-process directory: /tmp is shared with other test runs on the machine.
  const auto dir = specnet::test::fresh_temp_dir("specnet_test_ic_resume");
  // A small training set (labels from the truth: the 1T fits are not what this test is about).
  IcSpectra s = specnet::test::tiny_truth_labelled_split();
  write_ic_spectra((dir / "train.bin").string(), s);
  auto args = [&](const std::string& tag) {
    return std::vector<std::string>{"ic", "train", "--data", dir.string(), "--out", (dir / (tag + ".safetensors")).string(),
                                    "--epochs", "4", "--batch", "8", "--channels", "4,8,12,16,24", "--hidden", "16,8",
                                    "--seed", "9", "--folds", "5", "--checkpoint", (dir / (tag + ".ckpt")).string(),
                                    "--resume"};
  };
  // Uninterrupted reference.
  const int ref = wait_exit(spawn(args("ref"), (dir / "ref.log").string(), "2"));
  REQUIRE_MESSAGE((WIFEXITED(ref) && WEXITSTATUS(ref) == 0), slurp((dir / "ref.log").string()));

  // Interrupted run: a real SIGKILL while it is in batch 3 of epoch 2 (of 12 batches), after epoch 1's checkpoint.
  const std::string ckpt = (dir / "run.ckpt").string();
  const std::string log_killed = specnet::test::run_and_kill_at(args("run"), (dir / "run.log").string(), 2, 3, "2");
  CHECK(!std::filesystem::exists(dir / "run.safetensors"));
  // The checkpoint on disk is complete (atomic write) and names the last finished epoch.
  CHECK(log_killed.find("epoch 1/4") != std::string::npos);
  CHECK(log_killed.find("epoch 2/4") == std::string::npos);
  REQUIRE(std::filesystem::exists(ckpt));
  CHECK(specnet::load_safetensors(ckpt).metadata.at("epoch") == "1");

  // Resume (on one thread: results must not depend on the thread count) to the end.
  const int resumed = wait_exit(spawn(args("run"), (dir / "resume.log").string(), "1"));
  const std::string log = slurp((dir / "resume.log").string());
  REQUIRE_MESSAGE((WIFEXITED(resumed) && WEXITSTATUS(resumed) == 0), log);
  CHECK(log.find("resumed from " + ckpt + " after epoch 1") != std::string::npos);
  const std::string a = slurp((dir / "ref.safetensors").string()), b = slurp((dir / "run.safetensors").string());
  REQUIRE(!a.empty());
  CHECK(a == b);
  // Optimizer moments, scheduler state and the loss history are identical too (wall times aside).
  const specnet::SafeTensors ca = specnet::load_safetensors(dir.string() + "/ref.ckpt"), cb = specnet::load_safetensors(ckpt);
  REQUIRE(ca.tensors.size() == cb.tensors.size());
  for (std::size_t i = 0; i < ca.tensors.size(); ++i) {
    CHECK(ca.tensors[i].first == cb.tensors[i].first);
    CHECK(ca.tensors[i].second.to_vector() == cb.tensors[i].second.to_vector());
  }
  CHECK(ca.metadata.at("user.best_val") == cb.metadata.at("user.best_val"));

  // --time-limit stops after epoch 1 (the next one cannot end inside 1 ns) with exit status 0 and the checkpoint
  // written; the resumed call, under another limit, ends with the reference's weights.
  {
    auto limited = args("tl");
    limited.insert(limited.end(), {"--time-limit", "1e-9"});
    const int t = wait_exit(spawn(limited, (dir / "tl.log").string(), "2"));
    const std::string tl_log = slurp((dir / "tl.log").string());
    REQUIRE_MESSAGE((WIFEXITED(t) && WEXITSTATUS(t) == 0), tl_log);
    CHECK(tl_log.find("stopped on the time limit after epoch 1 of 4") != std::string::npos);
    CHECK(tl_log.find("epoch 2/4") == std::string::npos);
    CHECK(specnet::load_safetensors((dir / "tl.ckpt").string()).metadata.at("epoch") == "1");
    auto resumed_args = args("tl");
    resumed_args.insert(resumed_args.end(), {"--time-limit", "1e6"});
    const int u = wait_exit(spawn(resumed_args, (dir / "tl_resume.log").string(), "2"));
    REQUIRE_MESSAGE((WIFEXITED(u) && WEXITSTATUS(u) == 0), slurp((dir / "tl_resume.log").string()));
    CHECK(slurp((dir / "tl.safetensors").string()) == a);
    auto no_ckpt = std::vector<std::string>{"ic", "train", "--data", dir.string(), "--out", (dir / "z.safetensors").string(),
                                            "--time-limit", "60"};
    const int bad = wait_exit(spawn(no_ckpt, (dir / "tl_bad.log").string(), nullptr));
    CHECK((WIFEXITED(bad) && WEXITSTATUS(bad) == 1));
    CHECK(slurp((dir / "tl_bad.log").string()).find("--time-limit needs --checkpoint") != std::string::npos);
    CHECK(!std::filesystem::exists(dir / "z.safetensors"));
  }
  // A checkpoint of another seed is refused with a clear error.
  auto other = args("run");
  other[other.size() - 6] = "10";  // --seed
  const int bad = wait_exit(spawn(other, (dir / "bad.log").string(), nullptr));
  CHECK((WIFEXITED(bad) && WEXITSTATUS(bad) == 1));
  CHECK(slurp((dir / "bad.log").string()).find("was written with seed 9") != std::string::npos);
  // ... and so is one of other settings (here the batch size).
  auto other_batch = args("run");
  other_batch[9] = "16";
  REQUIRE(other_batch[8] == "--batch");
  const int bad2 = wait_exit(spawn(other_batch, (dir / "bad2.log").string(), nullptr));
  CHECK((WIFEXITED(bad2) && WEXITSTATUS(bad2) == 1));
  CHECK(slurp((dir / "bad2.log").string()).find("belongs to another run") != std::string::npos);
  // Bad command lines: a clear error and exit status 1 (2 for usage).
  const int bad3 = wait_exit(spawn({"dataset", "ic", "--out", (dir / "x").string(), "--kt", "5:1"}, (dir / "bad3.log").string(), nullptr));
  CHECK((WIFEXITED(bad3) && WEXITSTATUS(bad3) == 1));
  CHECK(slurp((dir / "bad3.log").string()).find("must be lo:hi with finite numbers lo < hi") != std::string::npos);
  const int bad4 = wait_exit(spawn({"ic", "run", "--data", (dir / "nowhere").string(), "--out", (dir / "y").string()},
                                   (dir / "bad4.log").string(), nullptr));
  CHECK((WIFEXITED(bad4) && WEXITSTATUS(bad4) == 1));
  CHECK(slurp((dir / "bad4.log").string()).find("cannot open") != std::string::npos);
  CHECK(!std::filesystem::exists(dir / "y"));
  std::filesystem::remove_all(dir);
}
