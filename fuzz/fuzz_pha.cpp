// libFuzzer harness for the PHA Type I reader (read_pha_bytes via CFITSIO memory files) and what runs on a
// loaded spectrum next (grouping, XSPEC-style); anything but a specnet::Error is a bug.
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "specnet/io/grouping.h"
#include "specnet/io/pha.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  specnet::fuzz::expect_only_errors([&] {
    const specnet::io::Spectrum s = specnet::io::read_pha_bytes(data, size, "fuzz.pha");
    std::vector<double> counts = s.counts;  // (H); RATE files may be negative after background subtraction
    for (double& c : counts) c = c < 0 ? 0 : c;
    const auto g = specnet::io::group_min_counts(counts, 20, s.quality);
    specnet::io::group_sum(g, counts);
  });
  return 0;
}
