// A minimal dependency-free SVG writer for report plots: panels with linear axes, ticks and labels, points, lines,
// step histograms and text. Coordinates are in data units inside a panel; the file is written atomically.
#pragma once
#include <string>
#include <vector>

namespace specnet::bhb {

class SvgPlot {
 public:
  SvgPlot(double width_px, double height_px);
  // A panel at pixel box (x, y, w, h) with data ranges; returns its index. Ticks and labels are drawn on save.
  int panel(double x, double y, double w, double h, double x_lo, double x_hi, double y_lo, double y_hi,
            const std::string& x_label = "", const std::string& y_label = "", const std::string& title = "",
            bool ticks = true);
  void points(int panel, const std::vector<double>& xs, const std::vector<double>& ys, const std::string& color,
              double radius = 1.5, double opacity = 0.5);
  void line(int panel, const std::vector<double>& xs, const std::vector<double>& ys, const std::string& color,
            double width = 1.5, bool dashed = false);
  // Step histogram of values over [lo, hi] with `bins` bins, normalised to its maximum (y range 0..1).
  void histogram(int panel, const std::vector<double>& values, double lo, double hi, int bins, const std::string& color);
  void text(double x_px, double y_px, const std::string& s, double size = 12, const std::string& anchor = "start");
  void save(const std::string& path) const;  // Error when the file cannot be written

 private:
  struct Panel {
    double x, y, w, h, x_lo, x_hi, y_lo, y_hi;
    std::string x_label, y_label, title;
    bool ticks;
  };
  double px(const Panel& p, double v) const;
  double py(const Panel& p, double v) const;
  double width_, height_;
  std::vector<Panel> panels_;
  std::string body_;
};

}  // namespace specnet::bhb
