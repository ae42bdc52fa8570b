// Crash-safe training of the IC CAE (issue #8): `specnet ic train` is SIGKILLed during an epoch and resumed from
// its per-epoch checkpoint; the final weights must equal, byte for byte, those of an uninterrupted run.
#include <doctest/doctest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "ic_test_util.h"
#include "specnet/ic/dataset.h"
#include "specnet/io/safetensors.h"

namespace {
const std::string kCli = SPECNET_BINARY_DIR "/examples/specnet";

// Starts the CLI with `args` (stdout/stderr to `log`), optionally with SPECNET_NUM_THREADS set; returns the pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log, const char* threads) {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (threads) setenv("SPECNET_NUM_THREADS", threads, 1);
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    if (f) dup2(fileno(stdout), 2);
    std::vector<char*> argv{const_cast<char*>(kCli.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kCli.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("ic train: SIGKILL mid-epoch, then --resume gives bitwise the weights of an uninterrupted run") {
  if (!std::filesystem::exists(kCli)) {
    MESSAGE("skipped: ", kCli, " not built (SPECNET_BUILD_EXAMPLES=OFF)");
    return;
  }
  using namespace specnet::ic;
  // Per-process directory: /tmp is shared with other test runs on the machine.
  const auto dir = std::filesystem::temp_directory_path() / ("specnet_test_ic_resume_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
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

  // Interrupted run: wait for the first checkpoint, then kill part-way through a later epoch.
  const std::string ckpt = (dir / "run.ckpt").string();
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = spawn(args("run"), (dir / "run.log").string(), "2");
  while (!std::filesystem::exists(ckpt) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(std::filesystem::exists(ckpt));
  const auto first_epoch = std::chrono::steady_clock::now() - t0;
  std::this_thread::sleep_for(first_epoch / 3);  // well inside epoch 2 (epochs take about as long as the first)
  REQUIRE(kill(pid, SIGKILL) == 0);
  const int killed = wait_exit(pid);
  CHECK(WIFSIGNALED(killed));
  CHECK(!std::filesystem::exists(dir / "run.safetensors"));
  // The checkpoint on disk is complete (atomic write) and names the last finished epoch.
  const std::string log_killed = slurp((dir / "run.log").string());
  MESSAGE("killed ", std::chrono::duration<double>(first_epoch).count() * 4.0 / 3.0, " s after the start");
  CHECK(log_killed.find("epoch 4/4") == std::string::npos);

  // Resume (on one thread: results must not depend on the thread count) to the end.
  const int resumed = wait_exit(spawn(args("run"), (dir / "resume.log").string(), "1"));
  const std::string log = slurp((dir / "resume.log").string());
  REQUIRE_MESSAGE((WIFEXITED(resumed) && WEXITSTATUS(resumed) == 0), log);
  CHECK(log.find("resumed from") != std::string::npos);
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
