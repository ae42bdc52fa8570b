// Channel grouping to a minimum number of counts per group, as grppha/ftgrouppha "min" (HEASoft), with the
// OGIP GROUPING (+1/-1) and QUALITY (2 = below the minimum) conventions that XSPEC reads.
#include "specnet/io/grouping.h"

#include <cmath>

#include "specnet/error.h"

namespace specnet::io {
namespace {

// Assigns group indices from GROUPING/QUALITY: a group is used only when all its channels have quality 0.
void number_groups(Grouping& g) {
  const std::size_t n = g.grouping.size();
  g.group_of_channel.assign(n, -1);
  g.num_groups = 0;
  std::size_t start = 0;
  while (start < n) {
    std::size_t end = start + 1;
    while (end < n && g.grouping[end] == -1) ++end;
    bool good = true;
    for (std::size_t c = start; c < end; ++c) good = good && g.quality[c] == 0;
    if (good) {
      for (std::size_t c = start; c < end; ++c) g.group_of_channel[c] = static_cast<int>(g.num_groups);
      ++g.num_groups;
    }
    start = end;
  }
}

}  // namespace

Grouping group_min_counts(const std::vector<double>& counts, double min_counts, const std::vector<int>& quality) {
  const std::size_t n = counts.size();
  SPECNET_CHECK(n > 0, "group_min_counts: empty spectrum");
  SPECNET_CHECK(std::isfinite(min_counts) && min_counts > 0, "group_min_counts: minimum must be > 0, got ", min_counts);
  SPECNET_CHECK(quality.empty() || quality.size() == n, "group_min_counts: ", quality.size(), " quality flags for ", n,
                " channels");
  for (std::size_t c = 0; c < n; ++c)
    SPECNET_CHECK(std::isfinite(counts[c]) && counts[c] >= 0, "group_min_counts: bad count ", counts[c], " in channel ", c);
  Grouping g;
  g.grouping.assign(n, 1);
  g.quality = quality.empty() ? std::vector<int>(n, 0) : quality;
  std::size_t start = 0;  // first channel of the open group
  double sum = 0;
  bool open = false;
  auto close_short = [&](std::size_t end) {  // a group that never reached the minimum: flag it bad
    if (open && sum < min_counts)
      for (std::size_t c = start; c < end; ++c) g.quality[c] = 2;
    open = false;
    sum = 0;
  };
  for (std::size_t c = 0; c < n; ++c) {
    if (g.quality[c] != 0) {
      close_short(c);
      g.grouping[c] = 1;
      continue;
    }
    if (!open) {
      open = true;
      start = c;
      g.grouping[c] = 1;
    } else {
      g.grouping[c] = -1;
    }
    sum += counts[c];
    if (sum >= min_counts) {
      open = false;
      sum = 0;
    }
  }
  close_short(n);
  number_groups(g);
  return g;
}

Grouping grouping_from_columns(const std::vector<int>& grouping, const std::vector<int>& quality) {
  const std::size_t n = grouping.size();
  SPECNET_CHECK(n > 0, "grouping_from_columns: empty GROUPING");
  SPECNET_CHECK(quality.empty() || quality.size() == n, "grouping_from_columns: ", quality.size(),
                " quality flags for ", n, " channels");
  Grouping g;
  g.grouping = grouping;
  for (std::size_t c = 0; c < n; ++c) {
    SPECNET_CHECK(grouping[c] >= -1 && grouping[c] <= 1, "grouping_from_columns: GROUPING ", grouping[c],
                  " in channel ", c, " (allowed: 1, -1, 0)");
    if (grouping[c] == 0 || c == 0) g.grouping[c] = 1;  // 0 = no grouping; a leading -1 starts the first group
  }
  g.quality = quality.empty() ? std::vector<int>(n, 0) : quality;
  number_groups(g);
  return g;
}

std::vector<double> group_sum(const Grouping& g, const std::vector<double>& per_channel) {
  SPECNET_CHECK(per_channel.size() == g.num_channels(), "group_sum: ", per_channel.size(), " values for ",
                g.num_channels(), " channels");
  std::vector<double> out(g.num_groups, 0.0);  // (G)
  for (std::size_t c = 0; c < per_channel.size(); ++c)
    if (g.group_of_channel[c] >= 0) out[g.group_of_channel[c]] += per_channel[c];
  return out;
}

}  // namespace specnet::io
