// Helpers of the `specnet dataset bhb` / `specnet bhb` subcommands: the --pha list and the corner plot.
#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "bhb_cli.h"
#include "specnet/bhb/dataset.h"
#include "specnet/bhb/residual.h"
#include "specnet/bhb/svg.h"
#include "specnet/bhb/train.h"

namespace specnet::cli {

using namespace specnet::bhb;

Dataset read_first_records(const Options& opt, long long min_count) {
  SPECNET_CHECK(!opt.str("data").empty(), "--data is required\n", opt.usage());
  const Dataset all = read_dataset(opt.str("data"));
  const long long count = opt.integer("count");
  SPECNET_CHECK(count >= min_count && count <= all.size(), "--count ", count, " must be in [", min_count, ", ",
                all.size(), "]: ", opt.str("data"), " holds ", all.size(), " records");
  return all.slice(0, count);
}

NetworkOrScaling network_or_scaling(const std::string& model, const Dataset& d) {
  NetworkOrScaling out;
  if (!model.empty()) {
    LoadedNetwork l = load_network(model);
    out.net = std::move(l.net);
    out.scaling = l.scaling;
  } else {
    SPECNET_CHECK(d.size() >= 2, "--count must be >= 2 without --model (the scaling is fitted on the spectra)");
    out.scaling = Scaling::fit(d);
  }
  return out;
}

ResidualStages load_residual_stages(const std::string& list, Network& first, const DatasetHeader& h) {
  ResidualStages out;
  if (list.empty()) return out;
  SPECNET_CHECK(h.kind <= 1, "--residual needs a simulated set (synthetic or shifted)");
  std::stringstream ss(list);
  for (std::string path; std::getline(ss, path, ',');) {
    SPECNET_CHECK(!path.empty(), "--residual: an empty checkpoint path in '", list, "'");
    LoadedNetwork l = load_network(path);
    check_residual_pair(out.empty() ? first : out.last(), l.metadata, path);
    out.paths.push_back(path);
    out.nets.push_back(std::move(l.net));
  }
  return out;
}

Chain ResidualStages::chain(Network& first) const {
  Chain c{&first};
  for (const auto& n : nets) c.push_back(n.get());
  return c;
}

void coverage_line(SvgPlot& svg, int panel, const std::vector<double>& levels, const std::vector<double>& coverage,
                   const std::string& color, bool dashed) {
  std::vector<double> xs = {0}, ys = {0};
  xs.insert(xs.end(), levels.begin(), levels.end());
  ys.insert(ys.end(), coverage.begin(), coverage.end());
  xs.push_back(1);
  ys.push_back(1);
  svg.line(panel, xs, ys, color, 2, dashed);
}

std::vector<PhaPair> parse_pha_list(const std::string& spec) {
  SPECNET_CHECK(!spec.empty(), "--pha: no spectra given");
  std::vector<std::string> items;
  if (spec[0] == '@') {
    std::ifstream f(spec.substr(1));
    SPECNET_CHECK(f.good(), "--pha: cannot read list ", spec.substr(1));
    for (std::string line; std::getline(f, line);)
      if (!line.empty()) items.push_back(line);
  } else {
    std::stringstream ss(spec);
    for (std::string it; std::getline(ss, it, ',');) items.push_back(it);
  }
  std::vector<PhaPair> out;
  for (const std::string& it : items) {
    const auto colon = it.find(':');
    PhaPair p{it.substr(0, colon), colon == std::string::npos ? "" : it.substr(colon + 1)};
    SPECNET_CHECK(!p.source.empty(), "--pha: an item '", it, "' without a source file");
    out.push_back(std::move(p));
  }
  SPECNET_CHECK(!out.empty(), "--pha: no spectra in '", spec, "'");
  return out;
}

void corner_plot(const std::string& path, const std::vector<float>& net, std::int64_t n_net, const std::vector<float>& other,
                 std::int64_t n_other, const float* truth, const std::string& title, const std::string& other_label) {
  const double cell = 120, pad = 50;
  SvgPlot svg(pad + kNumParams * cell + 20, pad + kNumParams * cell + 30);
  svg.text(pad, 20, title + " (blue: network, orange: " + other_label + (truth ? ", line: truth)" : ")"), 12);
  // Each axis spans the 0.5-99.5% range of both sets of draws and the truth: a heavy-tailed posterior's few far draws
  // (a Student-t base) would otherwise squeeze the bulk into one bin. Points outside are clipped by the panels.
  std::array<double, kNumParams> lo{}, hi{};
  auto range = [](const std::vector<float>& v, std::int64_t n, std::int64_t p, double& l, double& h) {
    std::vector<double> c;
    for (std::int64_t j = 0; j < n; ++j) c.push_back(v[j * kNumParams + p]);
    if (c.empty()) return;
    std::sort(c.begin(), c.end());
    l = std::min(l, c[static_cast<std::size_t>(0.005 * double(c.size() - 1))]);
    h = std::max(h, c[static_cast<std::size_t>(0.995 * double(c.size() - 1))]);
  };
  for (std::int64_t p = 0; p < kNumParams; ++p) {
    lo[p] = truth ? truth[p] : net[p];
    hi[p] = lo[p];
    range(net, n_net, p, lo[p], hi[p]);
    range(other, n_other, p, lo[p], hi[p]);
    const double m = std::max(0.05 * (hi[p] - lo[p]), 1e-6);  // narrow posteriors of bright spectra: ~1e-4 wide
    lo[p] -= m;
    hi[p] += m;
  }
  auto column = [&](const std::vector<float>& v, std::int64_t n, std::int64_t p, std::int64_t cap) {
    std::vector<double> c;
    for (std::int64_t j = 0; j < std::min(n, cap); ++j) c.push_back(v[j * kNumParams + p]);
    return c;
  };
  for (std::int64_t r = 0; r < kNumParams; ++r)
    for (std::int64_t c = 0; c <= r; ++c) {
      const double x = pad + c * cell, y = 30 + r * cell;
      const std::string xl = r == kNumParams - 1 ? kParamNames[c] : "", yl = c == 0 && r > 0 ? kParamNames[r] : "";
      if (r == c) {
        const int i = svg.panel(x, y, cell - 8, cell - 8, lo[c], hi[c], 0, 1.05, xl, "", "", false);
        svg.histogram(i, column(net, n_net, c, n_net), lo[c], hi[c], 30, "#1f77b4");
        svg.histogram(i, column(other, n_other, c, n_other), lo[c], hi[c], 30, "#ff7f0e");
        if (truth) svg.line(i, {double(truth[c]), double(truth[c])}, {0, 1.05}, "black", 1, true);
      } else {
        const int i = svg.panel(x, y, cell - 8, cell - 8, lo[c], hi[c], lo[r], hi[r], xl, yl, "", false);
        svg.points(i, column(other, n_other, c, 400), column(other, n_other, r, 400), "#ff7f0e", 1.0, 0.4);
        svg.points(i, column(net, n_net, c, 400), column(net, n_net, r, 400), "#1f77b4", 1.0, 0.4);
        if (truth) svg.points(i, {double(truth[c])}, {double(truth[r])}, "black", 3, 1);
      }
    }
  svg.save(path);
}

}  // namespace specnet::cli
