// libFuzzer harness for the PHA Type II reader (SPECTRUM rows + PARAMS table) and row extraction; anything but
// a specnet::Error is a bug.
#include <cstdint>

#include "fuzz_util.h"
#include "specnet/io/pha2.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  specnet::fuzz::expect_only_errors([&] {
    const specnet::io::SpectrumSet set = specnet::io::read_pha2_bytes(data, size, "fuzz_type2.pha");
    for (std::size_t i = 0; i < set.num_spectra() && i < 4; ++i) set.spectrum(i);
  });
  return 0;
}
