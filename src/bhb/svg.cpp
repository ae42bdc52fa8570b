// SvgPlot: panels, axes with "nice" ticks, points, polylines, step histograms and text as plain SVG 1.1 elements.
// Plain SVG 1.1 (W3C) with no library: the bhb report writes predicted-vs-true, coverage and corner plots with it.
#include "specnet/bhb/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "specnet/error.h"

namespace specnet::bhb {
namespace {
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}
std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return o;
}
// Tick step: 1, 2 or 5 x 10^k giving about 5 ticks over the range.
double tick_step(double range) {
  const double raw = range / 5, p = std::pow(10.0, std::floor(std::log10(raw))), f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}
}  // namespace

SvgPlot::SvgPlot(double w, double h) : width_(w), height_(h) {
  SPECNET_CHECK(w > 0 && h > 0, "SvgPlot: size must be positive");
}

int SvgPlot::panel(double x, double y, double w, double h, double x_lo, double x_hi, double y_lo, double y_hi,
                   const std::string& xl, const std::string& yl, const std::string& title, bool ticks) {
  SPECNET_CHECK(std::isfinite(x_lo) && std::isfinite(x_hi) && std::isfinite(y_lo) && std::isfinite(y_hi) &&
                    x_hi > x_lo && y_hi > y_lo,
                "SvgPlot: panel ranges must be finite and increasing, got x [", x_lo, ", ", x_hi, "] y [", y_lo, ", ",
                y_hi, "]");
  panels_.push_back({x, y, w, h, x_lo, x_hi, y_lo, y_hi, xl, yl, title, ticks});
  return static_cast<int>(panels_.size()) - 1;
}

double SvgPlot::px(const Panel& p, double v) const { return p.x + (v - p.x_lo) / (p.x_hi - p.x_lo) * p.w; }
double SvgPlot::py(const Panel& p, double v) const { return p.y + p.h - (v - p.y_lo) / (p.y_hi - p.y_lo) * p.h; }

void SvgPlot::points(int i, const std::vector<double>& xs, const std::vector<double>& ys, const std::string& color,
                     double r, double opacity) {
  SPECNET_CHECK(i >= 0 && i < int(panels_.size()) && xs.size() == ys.size(), "SvgPlot::points: bad panel or sizes");
  const Panel& p = panels_[i];
  body_ += "<g fill=\"" + color + "\" fill-opacity=\"" + num(opacity) + "\">\n";
  for (std::size_t k = 0; k < xs.size(); ++k) {
    if (!std::isfinite(xs[k]) || !std::isfinite(ys[k]) || xs[k] < p.x_lo || xs[k] > p.x_hi || ys[k] < p.y_lo ||
        ys[k] > p.y_hi)
      continue;
    body_ += "<circle cx=\"" + num(px(p, xs[k])) + "\" cy=\"" + num(py(p, ys[k])) + "\" r=\"" + num(r) + "\"/>\n";
  }
  body_ += "</g>\n";
}

void SvgPlot::line(int i, const std::vector<double>& xs, const std::vector<double>& ys, const std::string& color,
                   double width, bool dashed) {
  SPECNET_CHECK(i >= 0 && i < int(panels_.size()) && xs.size() == ys.size(), "SvgPlot::line: bad panel or sizes");
  const Panel& p = panels_[i];
  std::string pts;
  for (std::size_t k = 0; k < xs.size(); ++k)
    if (std::isfinite(xs[k]) && std::isfinite(ys[k]))
      pts += num(px(p, std::clamp(xs[k], p.x_lo, p.x_hi))) + "," + num(py(p, std::clamp(ys[k], p.y_lo, p.y_hi))) + " ";
  body_ += "<polyline fill=\"none\" stroke=\"" + color + "\" stroke-width=\"" + num(width) + "\"" +
           (dashed ? " stroke-dasharray=\"4,3\"" : "") + " points=\"" + pts + "\"/>\n";
}

void SvgPlot::histogram(int i, const std::vector<double>& values, double lo, double hi, int bins,
                        const std::string& color) {
  SPECNET_CHECK(bins > 0 && hi > lo, "SvgPlot::histogram: need bins > 0 and hi > lo");
  std::vector<double> h(bins, 0.0);
  for (double v : values)
    if (std::isfinite(v) && v >= lo && v <= hi) h[std::min(bins - 1, int((v - lo) / (hi - lo) * bins))] += 1;
  const double mx = std::max(1.0, *std::max_element(h.begin(), h.end()));
  std::vector<double> xs, ys;
  for (int b = 0; b < bins; ++b) {
    xs.push_back(lo + (hi - lo) * b / bins);
    ys.push_back(h[b] / mx);
    xs.push_back(lo + (hi - lo) * (b + 1) / bins);
    ys.push_back(h[b] / mx);
  }
  line(i, xs, ys, color, 1.2);
}

void SvgPlot::text(double x, double y, const std::string& s, double size, const std::string& anchor) {
  body_ += "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" font-size=\"" + num(size) + "\" text-anchor=\"" + anchor +
           "\">" + escape(s) + "</text>\n";
}

void SvgPlot::save(const std::string& path) const {
  std::string axes;
  for (const Panel& p : panels_) {
    axes += "<rect x=\"" + num(p.x) + "\" y=\"" + num(p.y) + "\" width=\"" + num(p.w) + "\" height=\"" + num(p.h) +
            "\" fill=\"none\" stroke=\"black\" stroke-width=\"0.8\"/>\n";
    if (p.ticks) {
      for (int axis = 0; axis < 2; ++axis) {
        const double lo = axis ? p.y_lo : p.x_lo, hi = axis ? p.y_hi : p.x_hi, st = tick_step(hi - lo);
        for (double t = std::ceil(lo / st) * st; t <= hi + 1e-9 * st; t += st) {
          char lab[32];
          std::snprintf(lab, sizeof lab, "%g", std::abs(t) < 1e-12 * st ? 0.0 : t);
          if (axis == 0) {
            const double x = px(p, t);
            axes += "<line x1=\"" + num(x) + "\" y1=\"" + num(p.y + p.h) + "\" x2=\"" + num(x) + "\" y2=\"" +
                    num(p.y + p.h + 4) + "\" stroke=\"black\"/>\n";
            axes += "<text x=\"" + num(x) + "\" y=\"" + num(p.y + p.h + 14) +
                    "\" font-size=\"9\" text-anchor=\"middle\">" + lab + "</text>\n";
          } else {
            const double y = py(p, t);
            axes += "<line x1=\"" + num(p.x - 4) + "\" y1=\"" + num(y) + "\" x2=\"" + num(p.x) + "\" y2=\"" + num(y) +
                    "\" stroke=\"black\"/>\n";
            axes += "<text x=\"" + num(p.x - 6) + "\" y=\"" + num(y + 3) + "\" font-size=\"9\" text-anchor=\"end\">" +
                    lab + "</text>\n";
          }
        }
      }
    }
    if (!p.x_label.empty())
      axes += "<text x=\"" + num(p.x + p.w / 2) + "\" y=\"" + num(p.y + p.h + 28) +
              "\" font-size=\"11\" text-anchor=\"middle\">" + escape(p.x_label) + "</text>\n";
    if (!p.y_label.empty())
      axes += "<text transform=\"translate(" + num(p.x - 34) + "," + num(p.y + p.h / 2) +
              ") rotate(-90)\" font-size=\"11\" text-anchor=\"middle\">" + escape(p.y_label) + "</text>\n";
    if (!p.title.empty())
      axes += "<text x=\"" + num(p.x + p.w / 2) + "\" y=\"" + num(p.y - 6) + "\" font-size=\"12\" text-anchor=\"middle\">" +
              escape(p.title) + "</text>\n";
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    SPECNET_CHECK(f.good(), "SvgPlot: cannot write ", tmp);
    f << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width_) << "\" height=\"" << num(height_)
      << "\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << axes << body_ << "</svg>\n";
    SPECNET_CHECK(f.good(), "SvgPlot: write failed on ", tmp);
  }
  SPECNET_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, "SvgPlot: cannot rename ", tmp, " to ", path);
}

}  // namespace specnet::bhb
