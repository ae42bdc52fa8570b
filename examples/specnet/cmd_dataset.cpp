// `specnet dataset KIND ...`: builds a training/test set; the kinds (ic, bhb) register themselves in their own
// command files, so a new pipeline adds its dataset without editing this one.
#include <cstdio>

#include "command.h"
#include "specnet/error.h"

namespace specnet::cli {

std::map<std::string, Command>& dataset_kinds() {
  static std::map<std::string, Command> kinds;
  return kinds;
}

namespace {

std::string kind_list() {
  std::string s;
  for (const auto& [name, c] : dataset_kinds()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

int run_dataset(const Args& args) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    std::printf("specnet dataset KIND [options]   (KIND --help for its options)\n");
    for (const auto& [name, c] : dataset_kinds()) std::printf("  %-6s %s\n", name.c_str(), c.summary.c_str());
    return args.empty() ? 1 : 0;
  }
  const auto it = dataset_kinds().find(args[0]);
  SPECNET_CHECK(it != dataset_kinds().end(), "dataset: unknown kind '", args[0], "' (known: ", kind_list(), ")");
  return it->second.run(args);
}

RegisterCommand reg{{"dataset", "build a dataset: `dataset ic` (IC search) or `dataset bhb` (BHB posteriors)", run_dataset}};

}  // namespace
}  // namespace specnet::cli
