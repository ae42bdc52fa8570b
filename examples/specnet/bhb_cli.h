// Helpers shared by the `specnet bhb` subcommand files (cmd_bhb.cpp, cmd_bhb_oracle.cpp): thread option, timing,
// and the oracle subcommand's entry point.
#pragma once
#include <chrono>

#include "command.h"
#include "specnet/context.h"
#include "specnet/error.h"

namespace specnet::cli {

inline double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// --threads N (0: SPECNET_NUM_THREADS or all cores).
inline void set_threads(const Options& opt) {
  const long long t = opt.integer("threads");
  SPECNET_CHECK(t >= 0, "--threads must be >= 0, got ", t);
  if (t > 0) set_num_threads(static_cast<int>(t));
}

// `specnet bhb oracle`: the exact posterior's PCC, coverage and PG-stat on a synthetic set (cmd_bhb_oracle.cpp).
int run_bhb_oracle(const Args& args);

}  // namespace specnet::cli
