// Runs the built specnet CLI from tests: the binary's path and run_cli(args) -> (exit code, stdout + stderr).
// Shared by test_cli.cpp and test_bhb_cli.cpp.
#pragma once
#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <utility>

#include "harness.h"

namespace specnet::test {

inline const std::string kCli = SPECNET_BINARY_DIR "/examples/specnet";

inline std::pair<int, std::string> run_cli(const std::string& args) {
  std::string out;
  FILE* p = popen((kCli + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

}  // namespace specnet::test
