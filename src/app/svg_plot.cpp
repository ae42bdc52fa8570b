// Dependency-free SVG line / step / scatter plots with "nice" ticks (1-2-5 steps, decades on log axes) and
// a legend box, for the IC-search report.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "specnet/error.h"
#include "specnet/ic/io_util.h"
#include "specnet/ic/svg_plot.h"

namespace specnet::ic {
namespace {

const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f", v);
  return b;
}

std::string tick_label(double v) {
  char b[32];
  if (v != 0 && (std::fabs(v) < 1e-3 || std::fabs(v) >= 1e5)) std::snprintf(b, sizeof b, "%.0e", v);
  else std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

struct Axis {
  double lo, hi;
  bool log;
  double to_unit(double v) const {  // 0..1
    return log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
  }
  bool valid(double v) const { return std::isfinite(v) && (!log || v > 0); }
  std::vector<double> ticks() const {
    std::vector<double> t;
    if (log) {
      for (double e = std::floor(std::log10(lo)); e <= std::ceil(std::log10(hi)); ++e) {
        const double v = std::pow(10.0, e);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
      }
      if (t.size() < 3) {  // less than two decades: add 2x and 5x ticks
        t.clear();
        for (double e = std::floor(std::log10(lo)); e <= std::ceil(std::log10(hi)); ++e)
          for (double m : {1.0, 2.0, 5.0}) {
            const double v = m * std::pow(10.0, e);
            if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
          }
      }
      return t;
    }
    const double raw = (hi - lo) / 6, mag = std::pow(10.0, std::floor(std::log10(raw)));
    const double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
    for (double v = std::ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) t.push_back(std::fabs(v) < 1e-12 * step ? 0 : v);
    return t;
  }
};

Axis make_axis(const std::vector<Series>& series, bool use_x, bool log, double fixed_lo, double fixed_hi) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : series)
    for (double v : use_x ? s.x : s.y)
      if (std::isfinite(v) && (!log || v > 0)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = log ? 1 : 0, hi = log ? 10 : 1;
  if (!std::isnan(fixed_lo)) lo = fixed_lo;
  if (!std::isnan(fixed_hi)) hi = fixed_hi;
  if (hi <= lo) hi = log ? lo * 10 : lo + 1;
  if (!log) {
    const double pad = 0.03 * (hi - lo);
    if (std::isnan(fixed_lo)) lo -= pad;
    if (std::isnan(fixed_hi)) hi += pad;
  }
  return {lo, hi, log};
}

}  // namespace

std::string Plot::svg() const {
  const double ml = 72, mr = 20, mt = 34, mb = 52, pw = width - ml - mr, ph = height - mt - mb;
  const Axis ax = make_axis(series, true, log_x, x_min, x_max), ay = make_axis(series, false, log_y, y_min, y_max);
  auto px = [&](double v) { return ml + ax.to_unit(v) * pw; };
  auto py = [&](double v) { return mt + (1 - ay.to_unit(v)) * ph; };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\"" << num(height)
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << num(ml + pw / 2) << "\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">" << esc(title) << "</text>\n";
  for (double t : ax.ticks()) {
    o << "<line x1=\"" << num(px(t)) << "\" y1=\"" << num(mt) << "\" x2=\"" << num(px(t)) << "\" y2=\"" << num(mt + ph)
      << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << num(px(t)) << "\" y=\"" << num(mt + ph + 16)
      << "\" text-anchor=\"middle\">" << tick_label(t) << "</text>\n";
  }
  for (double t : ay.ticks()) {
    o << "<line x1=\"" << num(ml) << "\" y1=\"" << num(py(t)) << "\" x2=\"" << num(ml + pw) << "\" y2=\"" << num(py(t))
      << "\" stroke=\"#e5e5e5\"/>\n<text x=\"" << num(ml - 6) << "\" y=\"" << num(py(t) + 4)
      << "\" text-anchor=\"end\">" << tick_label(t) << "</text>\n";
  }
  o << "<rect x=\"" << num(ml) << "\" y=\"" << num(mt) << "\" width=\"" << num(pw) << "\" height=\"" << num(ph)
    << "\" fill=\"none\" stroke=\"black\"/>\n";
  o << "<text x=\"" << num(ml + pw / 2) << "\" y=\"" << num(height - 12) << "\" text-anchor=\"middle\">" << esc(x_label)
    << "</text>\n<text transform=\"translate(16," << num(mt + ph / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
    << esc(y_label) << "</text>\n";
  o << "<clipPath id=\"plotarea\"><rect x=\"" << num(ml) << "\" y=\"" << num(mt) << "\" width=\"" << num(pw)
    << "\" height=\"" << num(ph) << "\"/></clipPath>\n<g clip-path=\"url(#plotarea)\">\n";
  std::vector<std::pair<std::string, std::string>> legend;  // (label, colour)
  int next = 0;
  for (const auto& s : series) {
    SPECNET_CHECK(s.x.size() == s.y.size(), "Plot: series \"", s.label, "\" has ", s.x.size(), " x and ", s.y.size(), " y");
    const std::string col = s.color.empty() ? kPalette[next++ % 8] : s.color;
    if (!s.label.empty()) legend.emplace_back(s.label, col);
    if (s.style == Series::Style::scatter) {
      for (std::size_t i = 0; i < s.x.size(); ++i)
        if (ax.valid(s.x[i]) && ay.valid(s.y[i]))
          o << "<circle cx=\"" << num(px(s.x[i])) << "\" cy=\"" << num(py(s.y[i])) << "\" r=\"2\" fill=\"" << col
            << "\" fill-opacity=\"0.5\"/>\n";
      continue;
    }
    std::string path;
    bool pen = false;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!ax.valid(s.x[i]) || !ay.valid(s.y[i])) { pen = false; continue; }
      if (s.style == Series::Style::step && pen) path += " H" + num(px(s.x[i])) + " V" + num(py(s.y[i]));
      else path += (pen ? " L" : " M") + num(px(s.x[i])) + "," + num(py(s.y[i]));
      pen = true;
    }
    o << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << col << "\" stroke-width=\"1.6\""
      << (s.dashed ? " stroke-dasharray=\"6,4\"" : "") << "/>\n";
  }
  o << "</g>\n";
  if (!legend.empty()) {
    const double lw = 16 + 7.0 * double(std::max_element(legend.begin(), legend.end(), [](auto& a, auto& b) {
                                          return a.first.size() < b.first.size(); })->first.size()) + 24;
    const double lx = ml + pw - lw - 8, ly = mt + 8;
    o << "<rect x=\"" << num(lx) << "\" y=\"" << num(ly) << "\" width=\"" << num(lw) << "\" height=\""
      << num(18.0 * legend.size() + 6) << "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#999\"/>\n";
    for (std::size_t i = 0; i < legend.size(); ++i) {
      const double y = ly + 15 + 18.0 * i;
      o << "<line x1=\"" << num(lx + 6) << "\" y1=\"" << num(y - 4) << "\" x2=\"" << num(lx + 26) << "\" y2=\"" << num(y - 4)
        << "\" stroke=\"" << legend[i].second << "\" stroke-width=\"3\"/>\n<text x=\"" << num(lx + 32) << "\" y=\""
        << num(y) << "\">" << esc(legend[i].first) << "</text>\n";
    }
  }
  o << "</svg>\n";
  return o.str();
}

void Plot::save(const std::string& path) const { write_text_file(path, svg()); }

Series histogram(const std::string& label, const std::vector<double>& values, int bins, double lo, double hi, bool log,
                 bool normalise) {
  SPECNET_CHECK(bins >= 1 && std::isfinite(lo) && std::isfinite(hi) && lo < hi && (!log || lo > 0),
                "histogram: needs bins >= 1 and a finite range lo < hi (lo > 0 on a log axis)");
  Series s;
  s.label = label;
  s.style = Series::Style::step;
  std::vector<double> counts(bins, 0.0);
  const double a = log ? std::log10(lo) : lo, b = log ? std::log10(hi) : hi;
  double n = 0;
  for (double v : values) {
    if (!std::isfinite(v) || (log && v <= 0)) continue;
    const double u = ((log ? std::log10(v) : v) - a) / (b - a);
    if (u < 0 || u > 1) continue;
    counts[std::min(bins - 1, int(u * bins))] += 1, n += 1;
  }
  for (int k = 0; k <= bins; ++k) {
    const double e = a + (b - a) * k / bins;
    s.x.push_back(log ? std::pow(10.0, e) : e);
    s.y.push_back(normalise && n > 0 ? counts[std::min(k, bins - 1)] / n : counts[std::min(k, bins - 1)]);
  }
  return s;
}

}  // namespace specnet::ic
