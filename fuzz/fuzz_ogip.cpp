// libFuzzer harness for the OGIP readers: arbitrary bytes go through CFITSIO's memory files (fits_open_memfile)
// into every reader; anything but a specnet::Error (crash, leak, ASan report, other exception) is a bug.
//
// Build (from the repository root; the readers need only src/io and CFITSIO):
//   clang++ -std=c++17 -g -O1 -fsanitize=fuzzer,address -Iinclude fuzz/fuzz_ogip.cpp src/io/*.cpp \
//       $(pkg-config --cflags --libs cfitsio) -o build/fuzz_ogip
// Run with the real files as seed corpus, e.g.:
//   mkdir -p build/corpus && cp ../shared/data/nustar/nuskybgd/*.arf ../shared/data/nicer/*.pha build/corpus/
//   ./build/fuzz_ogip -max_total_time=60 -rss_limit_mb=2048 build/corpus
#include <cstddef>
#include <cstdint>
#include <vector>

#include "specnet/error.h"
#include "specnet/io/arf.h"
#include "specnet/io/grouping.h"
#include "specnet/io/pha.h"
#include "specnet/io/pha2.h"
#include "specnet/io/response.h"
#include "specnet/io/rmf.h"

namespace {

template <typename F>
void expect_only_errors(F&& f) {
  try {
    f();
  } catch (const specnet::Error&) {
    // The documented outcome for malformed input.
  }
}

}  // namespace

// CFITSIO sizes some buffers from header values (e.g. a corrupt NAXISn) and handles a failed calloc as an
// error; ASan would abort on the request itself, so let it return null as glibc does.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace specnet::io;
  expect_only_errors([&] {
    const Spectrum s = read_pha_bytes(data, size, "fuzz.pha");
    // Whatever loads must also be usable downstream.
    std::vector<double> counts = s.counts;
    for (double& c : counts) c = c < 0 ? 0 : c;
    group_min_counts(counts, 100, s.quality);
  });
  expect_only_errors([&] { read_pha2_bytes(data, size, "fuzz_type2.pha"); });
  expect_only_errors([&] {
    const Rmf rmf = read_rmf_bytes(data, size, "fuzz.rmf");
    const SparseResponse r = SparseResponse::build(rmf);
    std::vector<double> photons(r.num_energies(), 1.0), out;
    r.fold_into(out, photons);
  });
  expect_only_errors([&] { read_arf_bytes(data, size, "fuzz.arf"); });
  return 0;
}
