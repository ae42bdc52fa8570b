// Crash tests of the training commands: the CLI as a child process (environment, log file), and a real SIGKILL
// delivered at a known batch: SPECNET_TEST_STOP_AT=E:B makes the child stop itself there and say so in its log.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "cli_test_util.h"

namespace specnet::test {

// Starts the CLI with `args`, stdout and stderr to `log`, with `env` (name, value) set; returns the pid.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::string& log,
                       const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::fflush(stdout);  // else the child writes the parent's buffered output again
  std::fflush(stderr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
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

inline int wait_exit(pid_t pid) {
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return status;
}

inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// Runs the CLI until it has stopped before batch `batch` of epoch `epoch` (the log says so), then SIGKILLs it.
// Fails if the child exits first or does not get there within ten minutes. Returns the child's log.
inline std::string run_and_kill_at(const std::vector<std::string>& args, const std::string& log, int epoch, int batch,
                                   const std::string& threads) {
  const std::string mark = "test hook: stopped at epoch " + std::to_string(epoch) + " batch " + std::to_string(batch);
  const pid_t pid = spawn_cli(args, log, {{"SPECNET_TEST_STOP_AT", std::to_string(epoch) + ":" + std::to_string(batch)},
                                          {"SPECNET_NUM_THREADS", threads}});
  const auto t0 = std::chrono::steady_clock::now();
  bool stopped = false, exited = false;
  while (!stopped && !exited && std::chrono::steady_clock::now() - t0 < std::chrono::minutes(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    stopped = slurp(log).find(mark) != std::string::npos;
    int status = 0;
    exited = !stopped && waitpid(pid, &status, WNOHANG) == pid;
  }
  if (!exited) REQUIRE(kill(pid, SIGKILL) == 0);
  const std::string out = slurp(log);
  REQUIRE_MESSAGE(stopped, "the child did not reach ", mark, ":\n", out);
  const int status = wait_exit(pid);
  CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL));
  return out;
}

}  // namespace specnet::test
