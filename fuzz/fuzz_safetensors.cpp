// libFuzzer harness for the safetensors parser and the training-checkpoint loader built on it: the bytes are
// parsed (every tensor read back) and, through a scratch file, loaded as a checkpoint into a small model with
// AdamW and a plateau scheduler. Anything but a specnet::Error is a bug.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "fuzz_model.h"
#include "fuzz_util.h"
#include "specnet/io/checkpoint.h"
#include "specnet/io/safetensors.h"

namespace {

std::string scratch_path() {
  const char* dir = std::getenv("TMPDIR");
  return std::string(dir && *dir ? dir : "/tmp") + "/specnet_fuzz_ckpt_" + std::to_string(::getpid()) + ".safetensors";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  specnet::fuzz::expect_only_errors([&] {
    const specnet::SafeTensors st = specnet::parse_safetensors(bytes, "fuzz");
    for (const auto& e : st.tensors) (void)e.second.to_vector();
  });
  static const std::string path = scratch_path();
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    specnet::fuzz::expect_only_errors([&] {
      specnet::fuzz::TinyTraining t;
      specnet::load_checkpoint(path, t.model, &t.optimizer, &t.scheduler);
    });
  }
  return 0;
}
