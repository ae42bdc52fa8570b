// Text-file and JSON-number helpers for the IC report (atomic writes as the checkpoints).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "specnet/error.h"
#include "specnet/ic/io_util.h"

namespace specnet::ic {

void write_text_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    SPECNET_CHECK(f.good(), "cannot write ", tmp);
    f << text;
    f.flush();
    SPECNET_CHECK(f.good(), "write to ", tmp, " failed");
  }
  std::filesystem::rename(tmp, path);
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char b[40];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

}  // namespace specnet::ic
