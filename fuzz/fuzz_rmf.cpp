// libFuzzer harness for the RMF reader (MATRIX/SPECRESP MATRIX + EBOUNDS, any N_GRP/F_CHAN/N_CHAN layout) and
// folding through the loaded matrix; anything but a specnet::Error is a bug.
#include <cstdint>
#include <vector>

#include "fuzz_util.h"
#include "specnet/io/response.h"
#include "specnet/io/rmf.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace specnet::io;
  specnet::fuzz::expect_only_errors([&] {
    const Rmf rmf = read_rmf_bytes(data, size, "fuzz.rmf");
    const SparseResponse r = SparseResponse::build(rmf);
    std::vector<double> photons(r.num_energies(), 1.0), out;  // (E), (H)
    r.fold_into(out, photons);
    fold(rmf, photons);
  });
  return 0;
}
