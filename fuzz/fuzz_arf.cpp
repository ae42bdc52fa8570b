// libFuzzer harness for the ARF reader (SPECRESP: ENERG_LO, ENERG_HI, SPECRESP); anything but a specnet::Error
// is a bug.
#include <cstdint>

#include "fuzz_util.h"
#include "specnet/io/arf.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  specnet::fuzz::expect_only_errors([&] { specnet::io::read_arf_bytes(data, size, "fuzz.arf"); });
  return 0;
}
