// JSON summary of one `specnet fit` for bench/peer comparisons: every field of FitResult that a peer package
// (sherpa, XSPEC) also reports, with NaN/Inf as JSON null.
#include "fit_json.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "specnet/error.h"

namespace specnet::cli {
namespace {

std::string number(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

void write_fit_json(const std::string& path, const std::string& model, const fit::FitResult& r,
                    fit::Statistic statistic, std::int64_t bins, double e_min_kev, double e_max_kev) {
  SPECNET_CHECK(r.values.size() == r.names.size() && r.errors.size() == r.names.size(),
                "write_fit_json: ", r.names.size(), " names but ", r.values.size(), " values and ", r.errors.size(),
                " errors");
  std::ostringstream js;
  js << "{\n  \"model\": " << quoted(model) << ",\n  \"statistic_name\": " << quoted(fit::statistic_name(statistic))
     << ",\n  \"statistic\": " << number(r.statistic) << ",\n  \"dof\": " << r.dof << ",\n  \"bins\": " << bins
     << ",\n  \"emin_kev\": " << number(e_min_kev) << ",\n  \"emax_kev\": " << number(e_max_kev)
     << ",\n  \"converged\": " << (r.converged ? "true" : "false") << ",\n  \"iterations\": " << r.iterations
     << ",\n  \"params\": [";
  for (std::size_t i = 0; i < r.names.size(); ++i) {
    js << (i ? ",\n" : "\n") << "    {\"name\": " << quoted(r.names[i]) << ", \"value\": " << number(r.values[i])
       << ", \"error\": " << number(r.errors[i]);
    for (const auto& iv : r.intervals)
      if (iv.name == r.names[i] && iv.ok)
        js << ", \"lo90\": " << number(iv.lo) << ", \"hi90\": " << number(iv.hi);
    js << "}";
  }
  js << "\n  ]\n}\n";
  std::ofstream f(path);
  SPECNET_CHECK(f.good(), "cannot write fit JSON '", path, "'");
  f << js.str();
  f.close();
  SPECNET_CHECK(!f.fail(), "error writing fit JSON '", path, "'");
}

}  // namespace specnet::cli
