// Helpers for the OGIP I/O tests: a per-process temp directory, the fitsverify check (skipped with a message
// when fitsverify is not on PATH) and byte-level file manipulation for the bad-input cases.
#pragma once
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace specnet::test {

inline std::string ogip_temp_dir() {
  static const std::string dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("specnet_ogip_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] {  // written files are only needed while the tests run
      std::error_code ec;
      std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                      ("specnet_ogip_" + std::to_string(::getpid())),
                                  ec);
    });
    return d.string();
  }();
  return dir;
}

inline std::string ogip_temp(const std::string& name) { return ogip_temp_dir() + "/" + name; }

// fitsverify exits with errors + warnings; a written file must give 0. The full report is shown on failure.
inline void check_fitsverify(const std::string& path) {
  static const bool have = std::system("command -v fitsverify > /dev/null 2>&1") == 0;
  if (!have) {
    MESSAGE("fitsverify not found on PATH: skipping the verification of " << path);
    return;
  }
  const int rc = std::system(("fitsverify -q '" + path + "' > /dev/null 2>&1").c_str());
  if (rc == 0) return;
  std::string report;
  if (FILE* p = popen(("fitsverify '" + path + "' 2>&1").c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) report.append(buf, n);
    pclose(p);
  }
  FAIL_CHECK("fitsverify reports problems in " << path << ":\n" << report);
}

inline std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

inline void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace specnet::test
