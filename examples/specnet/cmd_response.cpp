// `specnet response`: writes a built-in instrument response (nustar, nicer: Gaussian RMF x embedded ARF table)
// as OGIP RMF + ARF files, as XSPEC's `fakeit` users get from the mission's caldb, for other fitting packages.
#include <cstdio>

#include "command.h"
#include "specnet/error.h"
#include "specnet/io/arf.h"
#include "specnet/io/rmf.h"
#include "specnet/sim/instrument.h"

namespace specnet::cli {
namespace {

int run_response(const Args& args) {
  Options opt(args, {{"name", "nustar|built-in response: nustar or nicer"},
                     {"rmf", "|output RMF file (required)"},
                     {"arf", "|output ARF file (required)"}});
  if (opt.help()) {
    std::printf("specnet response: write a built-in response as OGIP RMF + ARF files\n%s", opt.usage().c_str());
    return 0;
  }
  const std::string name = opt.str("name"), rmf_path = opt.str("rmf"), arf_path = opt.str("arf");
  SPECNET_CHECK(name == "nustar" || name == "nicer", "--name must be nustar or nicer, got '", name, "'");
  SPECNET_CHECK(!rmf_path.empty() && !arf_path.empty(), "--rmf and --arf are required\n", opt.usage());
  SPECNET_CHECK(rmf_path != arf_path, "--rmf and --arf must be different files, both are '", rmf_path, "'");
  const sim::InstrumentResponse r = sim::builtin_response(name);
  SPECNET_CHECK(r.has_arf(), "built-in response '", name, "' has no ARF to write");
  io::write_rmf(rmf_path, r.rmf);
  io::write_arf(arf_path, r.arf);
  std::printf("wrote %s (%zu energies x %zu channels, %zu non-zero) and %s\n", rmf_path.c_str(), r.rmf.num_energies(),
              r.rmf.num_channels(), r.rmf.num_nonzero(), arf_path.c_str());
  return 0;
}

RegisterCommand reg{{"response", "write a built-in response (nustar, nicer) as OGIP RMF + ARF files", run_response}};

}  // namespace
}  // namespace specnet::cli
