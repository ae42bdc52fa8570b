// Helpers shared by the `specnet bhb` subcommand files (cmd_bhb.cpp, cmd_bhb_oracle.cpp, cmd_bhb_posterior.cpp):
// thread option, timing, the --pha list, the corner plot, and the entry points of the subcommands in their own files.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "command.h"
#include "specnet/context.h"
#include "specnet/bhb/dataset.h"
#include "specnet/bhb/network.h"
#include "specnet/bhb/residual.h"
#include "specnet/bhb/svg.h"
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

// --pha SRC.pha[:BKG.pha],... or @FILE with one such item per line.
struct PhaPair {
  std::string source, background;  // background empty when not given
};
std::vector<PhaPair> parse_pha_list(const std::string& spec);

// Corner plot (SVG) of network draws (n_net, P) against another posterior's (n_other, P), both in the network's
// scaled space, with the truth (P) when known (else null).
void corner_plot(const std::string& path, const std::vector<float>& net, std::int64_t n_net, const std::vector<float>& other,
                 std::int64_t n_other, const float* truth, const std::string& title, const std::string& other_label);

// A coverage curve (coverage at each credible level, from (0, 0) to (1, 1)) on a panel of `svg`.
void coverage_line(bhb::SvgPlot& svg, int panel, const std::vector<double>& levels, const std::vector<double>& coverage,
                   const std::string& color, bool dashed = false);

// The first --count records of --data (both required; count in [min_count, the set's size]).
bhb::Dataset read_first_records(const Options& opt, long long min_count);

// --model's network and its scaling when given (the draws' space), else no network and the scaling fitted on `d`
// (PCC, HPD coverage and NLL differences do not depend on the per-parameter affine scaling).
struct NetworkOrScaling {
  std::unique_ptr<bhb::Network> net;
  bhb::Scaling scaling;
};
NetworkOrScaling network_or_scaling(const std::string& model, const bhb::Dataset& d);

// --residual's stages (bhb train --residual-of; comma-separated, in chain order), each checked against the network
// before it (the first for the first stage), and the set: the residuals need a simulated one (synthetic or shifted),
// with a header as `h`.
struct ResidualStages {
  std::vector<std::string> paths;
  std::vector<std::unique_ptr<bhb::Network>> nets;
  bool empty() const { return nets.empty(); }
  bhb::Network& last() const { return *nets.back(); }
  bhb::Chain chain(bhb::Network& first) const;  // first, then the stages
};
ResidualStages load_residual_stages(const std::string& list, bhb::Network& first, const bhb::DatasetHeader& h);

// `specnet bhb posterior`: the network's posterior of real PHA spectra, checked and refined by importance sampling
// against the fit posterior (cmd_bhb_posterior.cpp).
int run_bhb_posterior(const Args& args);

// `specnet bhb calibrate`: the flow's base (scale, degrees of freedom) fitted on a labelled calibration set (cmd_bhb_calibrate.cpp).
int run_bhb_calibrate(const Args& args);

// `specnet bhb oracle`: the exact posterior's PCC, coverage and PG-stat on a synthetic set (cmd_bhb_oracle.cpp).
int run_bhb_oracle(const Args& args);

// `specnet bhb ceiling`: the exact posterior's -log p(truth | x) beside the network's, by subset (cmd_bhb_ceiling.cpp).
int run_bhb_ceiling(const Args& args);

}  // namespace specnet::cli
