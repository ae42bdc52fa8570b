// `specnet model`: evaluate an XSPEC model expression (photons cm^-2 s^-1 per bin on an energy grid, as
// XSPEC's `dummyrsp` + `show rates`) or fold it through a response (counts/s per channel); table or CSV.
#include <cstdio>
#include <fstream>

#include "command.h"
#include "model_options.h"
#include "specnet/error.h"
#include "specnet/sim/composite_model.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/fakeit.h"
#include "specnet/sim/instrument.h"

namespace specnet::cli {
namespace {

int run_model(const Args& args) {
  Options opt(args, {{"model", "|XSPEC model expression (required)"},
                     {"params", "|parameter values name=value,..."},
                     {"energies", "0.3:80:200:log|energy grid lo:hi:n[:lin|log] (keV)"},
                     {"response", "|fold through nustar, nicer or RMF[,ARF] instead (counts/s per channel)"},
                     {"list", "0|list the model's parameters and exit"},
                     {"out", "|write CSV here instead of printing a table"}});
  if (opt.help()) {
    std::printf("specnet model: evaluate a model expression\n%s", opt.usage().c_str());
    return 0;
  }
  sim::CompositeModel model = model_from_options(opt);
  if (opt.flag("list")) {
    for (const auto& p : model.params())
      std::printf("%-24s %-8s %g%s\n", p.name.c_str(), p.spec->unit.c_str(), model.get(p.name),
                  p.frozen ? " (frozen)" : "");
    return 0;
  }
  std::vector<double> lo, hi, value;  // (rows)
  std::vector<int> channel;
  std::string header;
  if (!opt.str("response").empty()) {
    const sim::InstrumentResponse r = sim::load_response(opt.str("response"));
    const auto photons = model.evaluate(r.energy_edges_kev());
    r.matrix().fold_into(value, photons);
    lo = r.rmf.channel_e_min_kev;
    hi = r.rmf.channel_e_max_kev;
    for (std::size_t h = 0; h < value.size(); ++h) channel.push_back(r.rmf.first_channel + static_cast<int>(h));
    header = "channel,e_min_kev,e_max_kev,counts_per_s";
  } else {
    const std::vector<double> edges = sim::parse_energy_grid(opt.str("energies"));
    value = model.evaluate(edges);
    lo.assign(edges.begin(), edges.end() - 1);
    hi.assign(edges.begin() + 1, edges.end());
    header = "e_lo_kev,e_hi_kev,photons_per_cm2_s";
  }
  const std::string out = opt.str("out");
  std::FILE* f = out.empty() ? stdout : std::fopen(out.c_str(), "w");
  SPECNET_CHECK(f, "cannot open '", out, "' for writing");
  const char* fmt_ch = out.empty() ? "%6d %10.4f %10.4f %14.6e\n" : "%d,%.6f,%.6f,%.9e\n";
  const char* fmt_e = out.empty() ? "%10.4f %10.4f %14.6e\n" : "%.6f,%.6f,%.9e\n";
  std::fprintf(f, "%s\n", out.empty() ? ("# " + header).c_str() : header.c_str());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (channel.empty()) std::fprintf(f, fmt_e, lo[i], hi[i], value[i]);
    else std::fprintf(f, fmt_ch, channel[i], lo[i], hi[i], value[i]);
  }
  if (!out.empty()) {
    std::fclose(f);
    std::printf("wrote %s (%zu rows)\n", out.c_str(), value.size());
  }
  return 0;
}

RegisterCommand reg{{"model", "evaluate a model expression on an energy grid or through a response", run_model}};

}  // namespace
}  // namespace specnet::cli
