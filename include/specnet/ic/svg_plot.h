// A small dependency-free SVG plotter for reports: line / step / scatter series on linear or log axes, with
// ticks, axis labels, a title and a legend (what matplotlib's plot / step / scatter produce, much simplified).
#pragma once
#include <limits>
#include <string>
#include <vector>

namespace specnet::ic {

struct Series {
  enum class Style { line, step, scatter };
  std::string label;  // legend entry ("" = none)
  std::vector<double> x, y;
  Style style = Style::line;
  std::string color;  // "" = next palette colour
  bool dashed = false;
};

struct Plot {
  std::string title, x_label, y_label;
  bool log_x = false, log_y = false;
  std::vector<Series> series;
  double width = 640, height = 440;
  // Optional fixed ranges (NaN = from the data).
  double x_min = std::numeric_limits<double>::quiet_NaN(), x_max = std::numeric_limits<double>::quiet_NaN();
  double y_min = std::numeric_limits<double>::quiet_NaN(), y_max = std::numeric_limits<double>::quiet_NaN();
  std::string svg() const;  // the document; points that are NaN (or <= 0 on a log axis) are skipped
  void save(const std::string& path) const;  // Error when the file cannot be written
};

// Histogram helper: counts of values in `bins` equal bins over [lo, hi] (log-spaced when log) as a step series
// with x the bin edges (bins + 1 points, the last count repeated).
Series histogram(const std::string& label, const std::vector<double>& values, int bins, double lo, double hi,
                 bool log, bool normalise);

}  // namespace specnet::ic
