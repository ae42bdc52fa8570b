// Runs the specnet command-line tool built in this tree (examples/specnet) from tests: exit code and combined
// stdout+stderr; tests skip when the examples were not built (SPECNET_BUILD_EXAMPLES=OFF).
#pragma once
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>

#include <doctest/doctest.h>

namespace specnet::test {

inline const std::string kCli = SPECNET_BINARY_DIR "/examples/specnet";

// Ends the calling test case with a message when the command-line tool was not built.
#define SPECNET_SKIP_WITHOUT_CLI()                                                                  \
  do {                                                                                              \
    if (!std::filesystem::exists(::specnet::test::kCli)) {                                          \
      MESSAGE("skipped: ", ::specnet::test::kCli, " not built (SPECNET_BUILD_EXAMPLES=OFF)");       \
      return;                                                                                       \
    }                                                                                               \
  } while (0)

// Runs `[env] specnet <args>` through the shell (env: "NAME=value ..." assignments, or empty); returns
// (exit code, combined output).
inline std::pair<int, std::string> run_cli(const std::string& args, const std::string& env = "") {
  std::string out;
  FILE* p = popen(((env.empty() ? "" : env + " ") + kCli + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

}  // namespace specnet::test
